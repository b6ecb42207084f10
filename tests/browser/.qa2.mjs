import { browser } from './harness.mjs';
const WEB = 'http://localhost:8090';
const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
await page.goto(WEB + '/login');
await page.getByLabel(/email/i).first().fill('admin@example.com');
await page.getByLabel(/password/i).first().fill('qa admin passphrase 1');
await page.getByRole('button', { name: /log in/i }).first().click();
await page.waitForTimeout(1500);
for (let i = 0; i < 8; i++) {
  await page.reload();
  await page.waitForTimeout(700);
  const c = await page.getByTestId('restore-countdown').count();
  if (c) { console.log('countdown at reload', i, await page.getByTestId('restore-countdown').textContent()); await page.screenshot({ path: '/tmp/qa/restore.png' }); break; }
}
await page.waitForSelector('nav >> text=Dashboard', { timeout: 40000 });
console.log('back in', await page.getByTestId('restore-countdown').count());
await browser.close();
