// What every browser journey shares: Chromium (Debian's, never a
// downloaded one), named steps, checks, axe-core, and the verdict.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

/** What went wrong, reported together at the end. */
export const failures = [];

export const step = (name) => console.log(`  - ${name}`);

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** axe-core on the page: serious and critical violations fail the journey. */
export async function axe(page, name) {
  await page.evaluate(axeSource);
  // Open the table views too: they are part of the page.
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) failures.push(`axe on ${name}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  step(`axe on ${name}: ${result.violations.length} violations, ${bad.length} serious or critical`);
}

/** Runs the journey, closes the browser and exits 1 naming every failure. */
export async function journey(name, body) {
  try {
    await body();
  } catch (err) {
    failures.push(err.message);
  } finally {
    await browser.close();
  }
  if (failures.length > 0) {
    console.error(`${name} failed:`);
    for (const f of failures) console.error(`  ${f}`);
    process.exit(1);
  }
  console.log(`ok: ${name}`);
}
