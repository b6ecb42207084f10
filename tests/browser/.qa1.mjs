import { browser } from './harness.mjs';
const WEB = 'http://localhost:8090';
const email = `new${Date.now()}@example.com`;
const shots = [];
for (const [label, viewport] of [['desk', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
  const page = await browser.newPage({ viewport });
  page.on('console', (m) => { if (m.type() === 'error') console.log('console error', label, m.text()); });
  await page.goto(WEB);
  await page.waitForTimeout(800);
  await page.screenshot({ path: `/tmp/qa/n-${label}-0-landing.png`, fullPage: true });
  if (label === 'desk') {
    const reg = page.getByRole('link', { name: /create|register|sign up/i }).first();
    if (await reg.count()) { await reg.click(); } else { console.log('no register link'); }
    await page.waitForTimeout(500);
    await page.screenshot({ path: `/tmp/qa/n-${label}-1-register.png`, fullPage: true });
    await page.getByLabel(/email/i).first().fill(email);
    const pw = page.getByLabel(/password/i);
    for (let i = 0; i < await pw.count(); i++) await pw.nth(i).fill('a long enough passphrase 9');
    await page.getByRole('button', { name: /create|register|sign up/i }).first().click();
    await page.waitForTimeout(1500);
  } else {
    await page.getByLabel(/email/i).first().fill(email);
    await page.getByLabel(/password/i).first().fill('a long enough passphrase 9');
    await page.getByRole('button', { name: /log in|sign in/i }).first().click();
    await page.waitForTimeout(1500);
  }
  await page.screenshot({ path: `/tmp/qa/n-${label}-2-after.png`, fullPage: true });
  for (const path of ['/', '/usages', '/facilities', '/instruments', '/periods', '/datasets', '/organization', '/account', '/audit']) {
    const names = {'/':'Dashboard','/usages':'Usages','/facilities':'Facilities','/instruments':'Instruments','/periods':'Periods','/datasets':'Factors','/organization':'Organization','/account':'Account','/audit':'Audit'};
    if (label === 'phone') { const m = page.getByRole('button', { name: /menu/i }); if (await m.count()) await m.first().click(); }
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: names[path], exact: true }).click();
    await page.waitForTimeout(1200);
    await page.screenshot({ path: `/tmp/qa/n-${label}-p${path.replace(/\//g, '_')}.png`, fullPage: true });
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > viewport.width) console.log('overflow', label, path, w);
  }
}
await browser.close();
console.log('done', email);
