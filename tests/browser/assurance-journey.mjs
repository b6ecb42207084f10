// The assurance journey in headless Chromium against the running stack:
//  1. an owner signs up and records a measured usage in FY2025 with its
//     invoice number;
//  2. locks FY2025 on the Periods page (with the password: a fresh login),
//     and checks that the trail still holds the head the lock recorded;
//     the dashboard shows it locked, and the usage form refuses a date in
//     it with the API's message;
//  3. the Audit page lists the changes, filters them and verifies the chain;
//     the trail and the verifier it links verify offline (python3); a
//     usage's History link opens the trail on that usage alone;
//  4. restates FY2025 under AR6, side by side;
//  5. unlocks FY2025 with a reason, which the page shows;
//  6. the Periods and Audit pages on a 390 px phone (the lock within reach),
//     and axe-core on both.
//
// Env: WEB_URL, ARTIFACTS, CHROMIUM.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { axe, browser, check, journey, step } from './harness.mjs';

const web = process.env.WEB_URL;
const artifacts = process.env.ARTIFACTS ?? '.';
const password = 'assurance journey passphrase';
const owner = `assurance-${Date.now()}@example.com`;
// Example type 100's factor, from the file the stack seeds.
const factor100 = JSON.parse(
  readFileSync(new URL('../../carbon-service/seed/example.json', import.meta.url), 'utf8'),
).types.find((t) => t.id === 100).factor;

/** Adds a usage of example type 100 through the usage form. */
async function addUsage(page, amount, when, extra = {}) {
  await page.getByLabel('Usage type').selectOption('100');
  await page.getByLabel('Amount').fill(String(amount));
  await page.getByLabel('When').fill(when);
  if (extra.quality) await page.getByLabel('Data quality').selectOption(extra.quality);
  if (extra.evidence) await page.getByLabel('Evidence').fill(extra.evidence);
  await page.getByRole('button', { name: 'Add usage' }).click();
}

/** How much wider than the screen the page is. Against the layout viewport
 * (`clientWidth`): a mobile browser widens `innerWidth` to fit what
 * overflows, so that measure never sees an overflow. */
async function pageOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

await journey('the assurance journey', async () => {
  step('an owner signs up and records a measured usage in FY2025 with its invoice number');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${web}/register`);
  await page.getByLabel('Email').fill(owner);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: /Your footprint/ }).waitFor();
  await page.getByRole('link', { name: 'Usages', exact: true }).click();
  await addUsage(page, 40, '2025-06-01T10:00', { quality: 'measured', evidence: 'INV-2025-0601' });
  await page.getByTestId('usages-table').locator('tbody tr').first().waitFor();

  step('the Periods page lists FY2025 open; the owner locks it with the password');
  await page.getByRole('link', { name: 'Periods' }).click();
  await page.getByRole('heading', { name: 'Reporting periods' }).waitFor();
  const fy2025 = page.getByTestId('periods-table').getByRole('row', { name: /FY2025/ });
  check((await fy2025.textContent())?.includes('open'), `FY2025 before the lock: ${await fy2025.textContent()}`);
  // Its last day, as the dashboard names it, not the service's exclusive end.
  const fy2025Text = await fy2025.textContent();
  check(fy2025Text?.includes('2025-12-31') && !fy2025Text.includes('2026-01-01'), `FY2025's row: ${fy2025Text}`);
  await page.getByRole('button', { name: 'Lock FY2025' }).click();
  await page.getByLabel('Your password').fill(password);
  await page.getByRole('form', { name: 'Lock FY2025' }).getByRole('button', { name: 'Lock FY2025' }).click();
  await fy2025.getByText(/locked on/).waitFor();
  // The trail still holds the head the lock recorded.
  await page.getByRole('button', { name: 'Check FY2025\'s trail head' }).click();
  const headCheck = page.getByTestId('head-check-FY2025');
  await headCheck.waitFor();
  check((await headCheck.textContent())?.startsWith('Intact: entry #'), `the head check: ${await headCheck.textContent()}`);
  await axe(page, 'periods');

  step('the dashboard shows FY2025 locked');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  const locked = page.getByTestId('locked-periods');
  await locked.waitFor();
  check((await locked.textContent())?.includes('FY2025'), `the dashboard's locked periods: ${await locked.textContent()}`);
  // The current fiscal year first; the reported one on request.
  check(/^FY\d{4}$/.test(await page.getByLabel('Reporting period').inputValue()), 'the dashboard opens on a fiscal year');
  await page.getByLabel('Reporting period').selectOption('FY2025');
  await page.getByRole('heading', { name: 'Your footprint in FY2025' }).waitFor();
  await page.locator('.total[aria-busy=false]').waitFor();
  const fy2025Total = Number(await page.getByTestId('total-co2e').getAttribute('data-value'));
  check(Math.abs(fy2025Total - 40 * factor100) < 1e-9, `FY2025's total on the dashboard: ${fy2025Total}, expected ${40 * factor100}`);

  step('the usage form refuses a date in FY2025 with the API\'s message');
  await page.getByRole('link', { name: 'Usages', exact: true }).click();
  await addUsage(page, 5, '2025-07-01T10:00');
  const refusal = page.getByRole('alert').filter({ hasText: 'FY2025' });
  await refusal.waitFor();
  check((await refusal.textContent())?.includes('locked'), `the refusal: ${await refusal.textContent()}`);

  step('the Audit page lists the changes, filters them and verifies the chain');
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
  const rows = page.getByTestId('audit-table').locator('tbody tr');
  await rows.first().waitFor();
  const newest = await rows.first().textContent();
  check(newest?.includes('lock period'), `the newest entry is the lock: ${newest}`);
  check((await page.getByTestId('audit-table').textContent())?.includes('create usage'), 'the create is listed');
  await page.getByLabel('Action').selectOption('lock');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 1);
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  const verified = page.getByTestId('audit-verification');
  await verified.waitFor();
  check(/All \d+ entries verify/.test((await verified.textContent()) ?? ''), `verification: ${await verified.textContent()}`);
  await axe(page, 'audit');

  step('the trail and the verifier the page links, downloaded, verify offline');
  const [trailFile] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download (JSON Lines)' }).click(),
  ]);
  const [verifierFile] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('audit-verifier').click(),
  ]);
  const head = /Head: #\d+ ([0-9a-f]{64})/.exec((await verified.textContent()) ?? '')?.[1];
  const offline = spawnSync('python3', [await verifierFile.path(), await trailFile.path(), head ?? ''], { encoding: 'utf8' });
  check(offline.status === 0 && /^\d+ entries verify; head [0-9a-f]{64}/.test(offline.stdout),
    `the offline verifier said ${offline.status}: ${offline.stdout}${offline.stderr}`);

  step('a usage\'s History opens the trail on that usage alone');
  await page.getByRole('link', { name: 'Usages', exact: true }).click();
  await page.getByRole('link', { name: /^History of the .* usage of 40 / }).click();
  await page.getByTestId('audit-entity').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 1);
  const history = await page.getByTestId('audit-table').locator('tbody tr').first().textContent();
  check(history?.includes('create usage') && history.includes('amount: 40'), `the usage's history: ${history}`);
  await page.getByRole('button', { name: 'Show every entry' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length > 1);

  step('a restatement of FY2025 under AR6 shows both columns and the kind of change');
  await page.getByRole('link', { name: 'Periods' }).click();
  await page.getByLabel('Period', { exact: true }).selectOption('FY2025');
  // The GWP sets as the service lists them (GET /gwp-sets), its default first.
  await page.getByLabel('GWP set').locator('option', { hasText: 'IPCC AR6' }).waitFor({ state: 'attached' });
  const gwpSets = await page.getByLabel('GWP set').locator('option').allTextContents();
  check(gwpSets.length === 3 && gwpSets[0].startsWith('IPCC AR5'), `the restatement's GWP sets: ${gwpSets}`);
  await page.getByLabel('GWP set').selectOption('AR6');
  await page.getByRole('button', { name: 'Restate' }).click();
  await page.getByTestId('restatement-table').waitFor();
  const verdict = await page.getByTestId('restatement-verdict').textContent();
  check(verdict?.includes('methodology'), `the restatement's verdict: ${verdict}`);

  step('the owner unlocks FY2025 with a reason');
  await page.getByRole('button', { name: 'Unlock FY2025' }).click();
  await page.getByLabel('Reason').fill('Invoice INV-2025-0601 was read wrong');
  await page.getByLabel('Your password').fill(password);
  await page.getByRole('form', { name: 'Unlock FY2025' }).getByRole('button', { name: 'Unlock FY2025' }).click();
  await fy2025.getByText('unlocked: Invoice INV-2025-0601 was read wrong').waitFor();
  await page.screenshot({ path: `${artifacts}/periods.png`, fullPage: true });

  step('on a 390 px phone the Periods and Audit pages fit the screen');
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phonePage = await phone.newPage();
  await phonePage.goto(`${web}/login`);
  await phonePage.getByLabel('Email').fill(owner);
  await phonePage.getByLabel('Password', { exact: true }).fill(password);
  await phonePage.getByRole('button', { name: 'Log in' }).click();
  await phonePage.getByRole('heading', { name: /Your footprint/ }).waitFor();
  for (const [path, heading] of [['/periods', 'Reporting periods'], ['/audit', 'Audit trail']]) {
    await phonePage.goto(`${web}${path}`);
    await phonePage.getByRole('heading', { name: heading }).waitFor();
    await phonePage.locator('table').first().waitFor();
    const overflow = await pageOverflow(phonePage);
    await phonePage.screenshot({ path: `${artifacts}/${path.slice(1)}-phone.png`, fullPage: true });
    check(overflow <= 0, `${path} is ${overflow} px wider than the phone`);
    if (path === '/periods') {
      // The period's actions are on screen, not past the scrolled table's edge.
      for (const name of ['Lock FY2025', 'Check FY2025\'s trail head']) {
        const box = await phonePage.getByRole('button', { name }).boundingBox();
        check(box && box.x + box.width <= 390, `${name} ends at ${box && box.x + box.width} px on a 390 px phone`);
      }
    }
    await axe(phonePage, `${path.slice(1)} on a phone`);
  }
  await phone.close();
  await context.close();
});
