// The web app in headless Chromium against the real services:
//  1. register, log out, log in;
//  2. add three usages of different types (one with a double click);
//  3. the dashboard's total equals Σ amount × factor from the seed file;
//  4. edit one, delete one, and the total follows;
//  4b. a bill in kWh against the EPA's per-MWh grid factor and 5 lb of
//      HFC-134a: per gas, and the total under AR5 and AR6, also in the
//      figures' CSV;
//  4c. a spreadsheet's CSV: its problems listed by line, then imported,
//      the export holds it, and a row's History leads to its import;
//  4d. on a 390 px phone, with a long type name, the usages table fits
//      and no figure breaks across lines; a wide table (the instruments)
//      keeps each row's actions on screen;
//  5. log out, and the usages page is refused (back to the login page);
//  6. a superuser adds a custom type by its gases, renames it (its gases
//     and category stay) and deletes it; published types are read only;
//  7. a superuser finds the account by the start of its email, deactivates
//     it (and undoes that once), marks it verified, waits one token
//     lifetime, and erases and deletes it with its usages on the Users page.
// Also: server field errors shown next to their inputs, a wrong password erasing nothing when deleting the
// account, two tabs refreshing at once staying logged in, no CSP
// violation anywhere, and axe-core on every page (no serious or critical
// violation). Screenshots go to ARTIFACTS.
//
// Env: WEB_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SEED_FILE, ARTIFACTS, CHROMIUM.
import { readFileSync } from 'node:fs';
import { axe, browser, check, journey, step } from './harness.mjs';

const web = process.env.WEB_URL;
const artifacts = process.env.ARTIFACTS ?? '.';
const factors = Object.fromEntries(
  JSON.parse(readFileSync(process.env.SEED_FILE, 'utf8')).types.map((t) => [t.id, t.factor]),
);
// The US average grid of the bundled EPA GHG Emission Factors Hub 2025.
const grid = JSON.parse(
  readFileSync(new URL('../../carbon-service/seed/epa-ghg-hub-2025.json', import.meta.url), 'utf8'),
).types.find((t) => t.id === 20000);
const email = `web-${Date.now()}@example.com`;
const password = 'web journey passphrase';

const cspViolations = [];
const close = (a, b) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

async function newPage(context) {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return page;
}


async function logIn(page, who, secret) {
  await page.goto(`${web}/login`);
  await page.getByLabel('Email').fill(who);
  await page.getByLabel('Password', { exact: true }).fill(secret);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: /Your footprint/ }).waitFor();
}

async function dashboardTotal(page) {
  await page.goto(`${web}/`);
  const total = page.getByTestId('total-co2e');
  await total.waitFor();
  return Number(await total.getAttribute('data-value'));
}

/** `YYYY-MM-DDTHH:mm` in UTC (the form's zone), hours ago (this year but
 * for the first hours of it). */
function hoursAgo(hours) {
  return new Date(Date.now() - hours * 3600e3).toISOString().slice(0, 16);
}

async function addUsage(page, amount, typeId, hours, { doubleClick = false } = {}) {
  await page.getByLabel('Amount').fill(String(amount));
  await page.getByLabel('Usage type').selectOption(String(typeId));
  await page.getByLabel('When').fill(hoursAgo(hours));
  const button = page.getByRole('button', { name: 'Add usage' });
  if (doubleClick) await button.dblclick();
  else await button.click();
  // The form resets (a new key) once the server has answered.
  await page.waitForFunction(() => document.querySelector('input[name=amount]')?.value === '');
}

/** The amount and CO₂e cells whose figure ("816.8") wraps onto two lines. */
async function splitFigures(page) {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="usages-table"] tbody td:is(:nth-child(3), :nth-child(4))')]
    .filter((td) => {
      const text = document.createTreeWalker(td, NodeFilter.SHOW_TEXT).nextNode();
      const figure = text?.textContent?.match(/^-?[\d,.]+/)?.[0];
      if (!figure) return false;
      const range = document.createRange();
      range.setStart(text, 0);
      range.setEnd(text, figure.length);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
    })
    .map((td) => td.textContent));
}

async function rows(page) {
  await page.waitForLoadState('networkidle');
  return page.locator('[data-testid=usages-table] tbody tr').count();
}

await journey('web journey, accessibility and two-tab refresh', async () => {
  // A browser far from UTC: the app's times are UTC whatever its zone.
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, timezoneId: 'America/New_York' });
  const page = await newPage(context);

  step('a signed-out visit makes no failing call');
  const failed = [];
  const watch = (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); };
  page.on('response', watch);
  await page.goto(`${web}/`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.waitForLoadState('networkidle');
  check(failed.length === 0, `a signed-out visit failed: ${failed.join(', ')}`);
  page.off('response', watch);

  step('register (which logs in), log out, log in');
  await page.goto(`${web}/register`);
  await axe(page, 'sign up');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: /Your footprint/ }).waitFor();
  // A newcomer's first view: nothing recorded is zero, not "-0".
  await page.getByText(/No usages recorded in FY\d{4} yet/).waitFor();
  const firstTotal = await page.getByTestId('total-co2e').innerText();
  check(firstTotal === '0\u00a0kg CO₂e', `an empty dashboard's total reads ${JSON.stringify(firstTotal)}`);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await axe(page, 'log in');
  await logIn(page, email, password);
  // A stale address says so and leads back.
  await page.goto(`${web}/dashboard`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  await page.getByRole('link', { name: 'Go to your footprint' }).click();
  await page.getByRole('heading', { name: /Your footprint/ }).waitFor();

  step("a newcomer's form picks no type for them; then it offers the type last recorded");
  await page.goto(`${web}/usages`);
  await page.getByTestId('type-hint').waitFor();
  check(await page.getByLabel('Usage type').inputValue() === '', 'a newcomer\'s form chose a usage type for them');

  step('add three usages of different types; a double click records one');
  const added = [
    { amount: 120, type: 100 },
    { amount: 3.5, type: 101 },
    { amount: 12, type: 104 },
  ];
  await addUsage(page, added[0].amount, added[0].type, 3);
  await addUsage(page, added[1].amount, added[1].type, 2, { doubleClick: true });
  await addUsage(page, added[2].amount, added[2].type, 1);
  check((await rows(page)) === 3, `expected 3 usages after 3 adds (one double-clicked), found ${await rows(page)}`);
  // The type filter offers the three types recorded, not every dataset's hundreds.
  const typeFilter = 'form[aria-label="Filter usages"] select[name=type] option';
  await page.waitForFunction((s) => document.querySelectorAll(s).length === 4, typeFilter, { timeout: 5000 }).catch(() => {});
  const offered = await page.locator(typeFilter).allTextContents();
  check(offered.length === 4 && offered[0] === 'All types', `the type filter offers ${offered.length - 1} types: ${offered.slice(0, 5)}`);
  await axe(page, 'usages');

  step('on a 390 px phone the usages page fits the screen');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.getByRole('heading', { name: 'Usages' }).waitFor();
  await rows(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `the usages page is ${overflow} px wider than a 390 px phone`);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.reload();
  await page.getByRole('heading', { name: 'Usages' }).waitFor();

  step('a field error from the server shows next to its input');
  // After the reload the types and usages load again: until then the form
  // has no type to send, and says so itself. Then it offers the last one.
  await page.waitForFunction(() => (document.querySelector('select[name=usage_type_id]')?.value ?? '') !== '');
  check(await page.getByLabel('Usage type').inputValue() === String(added[2].type), 'the form does not offer the type last recorded');
  await page.getByLabel('Amount').fill('-5');
  await page.getByRole('button', { name: 'Add usage' }).click();
  const amountInput = page.getByLabel('Amount');
  await page.waitForFunction(() => document.querySelector('input[name=amount]')?.getAttribute('aria-invalid') === 'true');
  const describedBy = await amountInput.getAttribute('aria-describedby');
  const message = await page.locator(`#${describedBy?.split(' ')[0]?.replace(/:/g, '\\:')}`).innerText();
  check(/finite number/.test(message), `the amount's error reads ${JSON.stringify(message)}`);
  // The focus moves to it: on a phone the field may be a screen above the button.
  check(await page.evaluate(() => document.activeElement?.getAttribute('name')) === 'amount', 'the invalid amount did not get the focus');
  await page.getByLabel('Amount').fill('');

  step('the dashboard total equals Σ amount × factor');
  const expected = (list) => list.reduce((sum, u) => sum + u.amount * factors[u.type], 0);
  let total = await dashboardTotal(page);
  check(close(total, expected(added)), `dashboard total ${total}, expected ${expected(added)}`);
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
  await page.screenshot({ path: `${artifacts}/web-dashboard.png`, fullPage: true });
  await axe(page, 'dashboard');
  // Its table views open, on a phone: the wide ones scroll in their boxes.
  await page.setViewportSize({ width: 390, height: 844 });
  // The charts follow the new width on their next resize observation.
  const fits = () => document.documentElement.scrollWidth <= document.documentElement.clientWidth;
  await page.waitForFunction(fits, null, { timeout: 5000 }).catch(() => {});
  const dashboardOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(dashboardOverflow <= 0, `the dashboard with its tables open is ${dashboardOverflow} px wider than a 390 px phone`);
  await page.setViewportSize({ width: 1280, height: 1000 });

  step('edit one, delete one, and the total follows');
  await page.goto(`${web}/usages`);
  await page.getByRole('button', { name: /Edit electricity usage of 120/ }).click();
  await page.getByLabel('Amount').fill('80');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: 'Add a usage' }).waitFor();
  added[0].amount = 80;
  await page.getByRole('button', { name: /Delete water usage/ }).click();
  await page.getByRole('button', { name: 'Confirm delete' }).click();
  await page.getByRole('button', { name: /Delete water usage/ }).waitFor({ state: 'detached' });
  const remaining = [added[0], added[2]];
  check((await rows(page)) === 2, 'two usages remain');
  await page.screenshot({ path: `${artifacts}/web-usages.png`, fullPage: true });
  total = await dashboardTotal(page);
  check(close(total, expected(remaining)), `dashboard total ${total} after edit and delete, expected ${expected(remaining)}`);

  step('account page: a new address is offered its verification mail');
  await page.goto(`${web}/account`);
  await page.getByText(`Signed in as`).waitFor();
  await page.getByTestId('verify-prompt').waitFor();
  await axe(page, 'account');
  await page.getByRole('button', { name: 'Send a verification mail' }).click();
  await page.getByText(`A verification mail is on its way to ${email}`).waitFor();

  step('deleting the account with a wrong password erases nothing');
  await page.getByLabel('Current password (to delete)').fill('not my password at all');
  await page.getByRole('button', { name: 'Delete my account and data' }).click();
  await page.getByRole('alert').filter({ hasText: /incorrect/ }).waitFor();
  await page.goto(`${web}/usages`);
  await page.getByRole('heading', { name: 'Usages' }).waitFor();
  check((await rows(page)) === 2, 'a failed account deletion erased usages');

  for (const path of ['/forgot-password', '/reset-password', '/verify-email']) {
    const anon = await newPage(await browser.newContext());
    await anon.goto(`${web}${path}`);
    await anon.getByRole('heading').first().waitFor();
    await axe(anon, path);
  }

  step('two tabs refreshing at the same moment stay logged in');
  const tabA = page;
  const tabB = await newPage(context);
  await tabA.goto(`${web}/usages`);
  await tabB.goto(`${web}/usages`);
  // Both settled first: a reload that kills a page while its refresh is on
  // the wire leaves that request to rotate the cookie unseen, which is not
  // the race this step is about.
  for (const tab of [tabA, tabB]) {
    await tab.getByRole('heading', { name: 'Usages' }).waitFor({ timeout: 10000 });
    await tab.waitForLoadState('networkidle');
  }
  // A reload starts each tab with no access token: both refresh through
  // the one cookie at once. Uncoordinated, the second would reuse a used
  // refresh token and revoke the login.
  await Promise.all([tabA.reload(), tabB.reload()]);
  for (const tab of [tabA, tabB]) {
    await tab.getByRole('heading', { name: 'Usages' }).waitFor({ timeout: 10000 });
    check((await rows(tab)) === 2, 'a tab lost its session');
  }
  await tabB.reload();
  await tabB.getByRole('heading', { name: 'Usages' }).waitFor({ timeout: 10000 });

  step('an electricity bill in kWh and a refrigerant top-up in lb against EPA factors: per gas, in CO₂e under AR5 and AR6');
  const before = await dashboardTotal(tabA); // the example types count the same under every GWP set
  await tabA.goto(`${web}/usages`);
  await tabA.getByLabel('Category').selectOption('purchased_electricity');
  await tabA.getByLabel('Search types').fill('us average');
  check((await tabA.getByLabel('Usage type').inputValue()) === '20000', 'the search did not find the US average grid');
  await tabA.getByTestId('factor-note').filter({ hasText: 'epa-ghg-hub-2025' }).waitFor();
  await tabA.getByLabel('Amount').fill('12500');
  await tabA.getByLabel('Unit').selectOption('kWh');
  await tabA.getByLabel('When').fill(hoursAgo(4));
  await tabA.getByRole('button', { name: 'Add usage' }).click();
  await tabA.getByRole('cell', { name: '12,500 kWh', exact: true }).waitFor();
  // And a refrigerant top-up as the service record reads: 5 lb of HFC-134a.
  await tabA.getByLabel('Category').selectOption('fugitive_emissions');
  await tabA.getByLabel('Search types').fill('HFC-134a');
  check((await tabA.getByLabel('Usage type').inputValue()) === '60003', 'the search did not find HFC-134a');
  await tabA.getByLabel('Amount').fill('5');
  await tabA.getByLabel('Unit').selectOption('lb');
  await tabA.getByLabel('When').fill(hoursAgo(5));
  await tabA.getByRole('button', { name: 'Add usage' }).click();
  await tabA.getByRole('cell', { name: '5 lb', exact: true }).waitFor();
  // The grid's next bill is offered in the unit its last one was entered in, not the factor's MWh.
  await tabA.getByLabel('Category').selectOption('purchased_electricity');
  await tabA.getByLabel('Search types').fill('us average');
  const nextUnit = await tabA.getByLabel('Unit').inputValue();
  check(nextUnit === 'kWh', `the grid's next bill is offered in ${nextUnit}, not in the kWh of its last`);
  check(await tabA.getByText('Converted to MWh, the factor\'s unit.').count() === 1, 'the form does not say the kWh become MWh');
  // 12,500 kWh is 12.5 MWh, the factor's unit; 5 lb is 2.26796185 kg
  // (1 lb = 0.45359237 kg, NIST SP 811). GWPs: IPCC AR5 WG1 Table 8.7 (CH₄
  // 28, N₂O 265) and Table 8.A.1 (HFC-134a 1,300); AR6 WG1 Table 7.15 (27.0,
  // 273) and Table 7.SM.7 (HFC-134a 1,530).
  const mwh = 12.5;
  const hfc = 5 * 0.45359237;
  const weigh = (g, ch4, n2o) => g.co2 + ch4 * g.ch4 + n2o * g.n2o;
  const ar5Expected = before + mwh * weigh(grid.gases, 28, 265) + hfc * 1300;
  total = await dashboardTotal(tabA);
  check(close(total, ar5Expected), `AR5 total ${total}, expected ${ar5Expected}`);
  const kg = (x) => x.toLocaleString('en', { maximumSignificantDigits: 6 });
  await tabA.getByTestId('gas-table').getByRole('row', { name: `CO₂ ${kg(mwh * grid.gases.co2)}` }).waitFor();
  await tabA.getByTestId('gas-table').getByRole('row', { name: `HFC-134a ${kg(hfc)}` }).waitFor();
  await tabA.getByLabel('Global warming potentials').selectOption('AR6');
  await tabA.locator('[data-testid=total-co2e][data-gwp=AR6]').waitFor();
  const ar6 = Number(await tabA.getByTestId('total-co2e').getAttribute('data-value'));
  const ar6Expected = before + mwh * weigh(grid.gases, 27, 273) + hfc * 1530;
  check(close(ar6, ar6Expected), `AR6 total ${ar6}, expected ${ar6Expected}`);
  await axe(tabA, 'dashboard per gas');
  // The EPA's long type names sit on one line each of the chart's axis, not over each other.
  const ticks = await tabA.evaluate(() => [...document.querySelectorAll('figure[aria-labelledby="by-type"] .recharts-yAxis-tick-labels text')]
    .map((t) => ({ name: t.textContent, height: t.getBBox().height })));
  check(ticks.length >= 2 && ticks.every((t) => t.height < 20), `the by-type axis labels: ${JSON.stringify(ticks)}`);
  // The figures go to a spreadsheet unrounded, under the period and GWP set shown.
  const [figures] = await Promise.all([
    tabA.waitForEvent('download'),
    tabA.getByRole('button', { name: 'Download the figures (CSV)' }).click(),
  ]);
  const sheetLines = readFileSync(await figures.path(), 'utf8').replace(/^\ufeff/, '').split('\r\n');
  const totalLine = sheetLines.find((l) => l.startsWith('total,location-based,'))?.split(',');
  check(totalLine && close(Number(totalLine[3]), ar6) && totalLine.at(-1) === 'AR6',
    `the figures' total line: ${totalLine}, expected ${ar6} under AR6`);
  check(figures.suggestedFilename().endsWith('-AR6.csv'), `the figures' file: ${figures.suggestedFilename()}`);

  step('a REC for 7,500 kWh (entered as 7,000, then corrected): the dashboard shows scope 2 both ways and what it covered');
  await tabA.goto(`${web}/instruments`);
  await tabA.getByRole('heading', { name: 'Instruments' }).waitFor();
  await tabA.getByText('No instruments yet').waitFor();
  await axe(tabA, 'instruments, empty');
  await tabA.getByLabel('Energy covered').fill('7000');
  await tabA.getByLabel('Registry reference').fill('WREGIS-123');
  await tabA.getByRole('button', { name: 'Record instrument' }).click();
  await tabA.getByTestId('instruments-table').getByRole('cell', { name: '7,000 kWh' }).waitFor();
  await tabA.getByRole('button', { name: 'Edit REC instrument WREGIS-123' }).click();
  const recEdit = tabA.getByRole('form', { name: 'Edit the REC instrument' });
  check(await recEdit.getByLabel('Registry reference').inputValue() === 'WREGIS-123', 'the edit form holds the instrument');
  await recEdit.getByLabel('Energy covered').fill('7500');
  await recEdit.getByRole('button', { name: 'Save changes' }).click();
  await tabA.getByTestId('instruments-table').getByRole('cell', { name: '7,500 kWh' }).waitFor();
  check(await tabA.getByTestId('instruments-table').getByRole('cell', { name: '7,000 kWh' }).count() === 0, 'the old amount is gone');
  await axe(tabA, 'instruments');
  await tabA.goto(`${web}/`);
  await tabA.getByTestId('coverage-table').getByRole('row', { name: 'Certificates and PPAs 7,500' }).waitFor();
  await tabA.getByTestId('total-market').waitFor();

  step('a spreadsheet\'s CSV: its problems listed by line, then imported, and the export holds it');
  await tabA.goto(`${web}/usages`);
  await tabA.getByRole('heading', { name: 'Spreadsheet' }).waitFor();
  // The form names the type id a spreadsheet's `usage_type_id` needs.
  await tabA.getByLabel('Usage type').selectOption('20000');
  await tabA.getByTestId('type-id').filter({ hasText: /^20000$/ }).waitFor();
  const beforeImport = await rows(tabA);
  const sheet = (lines) => ({ name: 'bills.csv', mimeType: 'text/csv', buffer: Buffer.from(`\ufeffusage_at,usage_type_id,amount,unit\r\n${lines.join('\r\n')}\r\n`) });
  await tabA.getByLabel('CSV file').setInputFiles(sheet(['2025-03-01,20000,1200,kWh', '3/2/2025,20000,900,kWh']));
  await tabA.getByRole('button', { name: 'Import', exact: true }).click();
  const problem = tabA.getByTestId('import-errors').getByRole('row', { name: /^3 usage_at .*YYYY-MM-DD/ });
  await problem.waitFor();
  check((await rows(tabA)) === beforeImport, 'a refused import stored rows');
  await axe(tabA, 'usages with import errors');
  await tabA.getByLabel('CSV file').setInputFiles(sheet(['2025-03-01,20000,1200,kWh', '2025-03-02,20000,900,kWh']));
  await tabA.getByRole('button', { name: 'Import', exact: true }).click();
  await tabA.getByText('Imported 2 usages from bills.csv.').waitFor();
  check(await tabA.getByLabel('CSV file').inputValue() === '', 'the imported file is still chosen, ready to import twice');
  await tabA.getByRole('cell', { name: '1,200 kWh', exact: true }).waitFor();
  // A date alone is midnight UTC, and the list says so (the browser is in New York).
  await tabA.getByRole('cell', { name: '2025-03-01 00:00 UTC', exact: true }).waitFor();
  const [download] = await Promise.all([
    tabA.waitForEvent('download'),
    tabA.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const file = readFileSync(await download.path(), 'utf8');
  // With a byte-order mark, so that Excel reads it as UTF-8.
  check(file.startsWith('\ufeffid,usage_at,usage_type_id,'), `the export begins ${JSON.stringify(file.slice(0, 40))}`);
  const exported = file.split(/\r?\n/);
  const imported = exported.filter((line) => line.includes(',2025-03-01T00:00:00Z,20000,') && line.includes(',1200,kWh,1.2,MWh,'));
  check(imported.length === 1, `the export lacks the imported bill: ${exported.join(' | ')}`);
  // An imported usage's History leads to the import that created it.
  await tabA.getByRole('link', { name: /^History of the .* usage of 1,200 kWh$/ }).click();
  await tabA.getByTestId('audit-imported').waitFor();
  await tabA.getByRole('button', { name: 'Show the import that created it' }).click();
  await tabA.getByTestId('audit-table').getByText('import usage import').waitFor();
  // That import's entry alone.
  await tabA.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 1);
  check((await tabA.getByTestId('audit-table').textContent())?.includes('2 rows'), 'the import entry counts its rows');

  step('on a 390 px phone, with a fleet\'s fuel bill of a long type name, the usages table fits and no figure breaks; the instruments keep their actions on screen');
  await tabA.goto(`${web}/usages`);
  await tabA.getByLabel('Category').selectOption('mobile_combustion');
  await tabA.getByLabel('Search types').fill('B20');
  check((await tabA.getByLabel('Usage type').inputValue()) === '30104', 'the search did not find B20');
  await tabA.getByLabel('Amount').fill('100');
  await tabA.getByLabel('When').fill(hoursAgo(6));
  await tabA.getByRole('button', { name: 'Add usage' }).click();
  await tabA.getByRole('cell', { name: '100 gal', exact: true }).waitFor();
  await tabA.setViewportSize({ width: 390, height: 844 });
  await tabA.reload();
  await tabA.getByRole('cell', { name: '100 gal', exact: true }).waitFor();
  const phoneOverflow = await tabA.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(phoneOverflow <= 0, `the usages page is ${phoneOverflow} px wider than a 390 px phone`);
  const split = await splitFigures(tabA);
  check(split.length === 0, `figures broken across lines on a phone: ${JSON.stringify(split)}`);
  await tabA.screenshot({ path: `${artifacts}/web-usages-phone.png`, fullPage: true });
  // A table too wide for the phone scrolls, and keeps its row's actions on screen.
  await tabA.goto(`${web}/instruments`);
  const recActions = await tabA.getByRole('button', { name: 'Edit REC instrument WREGIS-123' }).boundingBox();
  check(recActions && recActions.x + recActions.width <= 390,
    `the instrument's Edit button ends at ${recActions && recActions.x + recActions.width} px on a 390 px phone`);
  await axe(tabA, 'instruments on a phone');
  await tabA.setViewportSize({ width: 1280, height: 1000 });

  step('a superuser adds a custom type by its gases and renames it: the gases and category stay; published types are read only');
  const admin = await newPage(await browser.newContext());
  await logIn(admin, process.env.ADMIN_EMAIL, process.env.ADMIN_PASSWORD);
  await admin.goto(`${web}/types`);
  await admin.getByRole('heading', { name: 'Usage types' }).waitFor();
  await admin.getByTestId('types-table').getByRole('row', { name: /^100 / }).waitFor();
  check(await admin.getByRole('button', { name: 'Delete type 100', exact: true }).count() === 0, 'a published type offers Delete');
  await axe(admin, 'usage types');
  const customId = String(900000 + (Date.now() % 90000));
  const adding = admin.getByRole('form', { name: 'Add a type' });
  await adding.getByLabel('Id').fill(customId);
  await adding.getByLabel('Name', { exact: true }).fill('Journey district heat');
  await adding.getByLabel('Unit', { exact: true }).fill('kWh');
  await adding.getByLabel('Category').fill('purchased_heat');
  await adding.getByLabel('kg CO₂ per unit').fill('0.2');
  await adding.getByLabel('kg CH₄ per unit').fill('0.00001');
  await adding.getByRole('button', { name: 'Add type' }).click();
  await admin.getByLabel('Search types').fill(customId);
  await admin.getByRole('button', { name: `Edit type ${customId}` }).click();
  const editing = admin.getByRole('form', { name: `Edit type ${customId}` });
  await editing.getByLabel('Name', { exact: true }).fill('Journey district heat, renamed');
  await editing.getByRole('button', { name: 'Save type' }).click();
  await admin.getByTestId('types-table').getByText('Journey district heat, renamed').waitFor();
  // Read back from the service: the rename kept what the form did not change.
  await admin.getByRole('button', { name: `Edit type ${customId}` }).click();
  const reread = admin.getByRole('form', { name: `Edit type ${customId}` });
  const kept = [await reread.getByLabel('Category').inputValue(), await reread.getByLabel('kg CO₂ per unit').inputValue(),
    await reread.getByLabel('kg CH₄ per unit').inputValue()];
  check(JSON.stringify(kept) === JSON.stringify(['purchased_heat', '0.2', '0.00001']), `after the rename: ${kept}`);
  await reread.getByRole('button', { name: 'Cancel' }).click();
  await admin.getByRole('button', { name: `Delete type ${customId}` }).click();
  await admin.getByTestId('types-count').filter({ hasText: /^0 of/ }).waitFor();

  step('a superuser deactivates the account first, and erasing waits one token lifetime');
  admin.on('dialog', (dialog) => void dialog.accept());
  await admin.goto(`${web}/users`);
  await admin.getByRole('heading', { name: 'Users' }).waitFor();
  // Found by the start of the address, among the fuzzer's many accounts.
  await admin.getByLabel('Find by email').fill(email.slice(0, -4).toUpperCase());
  await admin.getByTestId('users-count').filter({ hasText: 'Accounts 1 to 1 of 1' }).waitFor();
  await admin.getByRole('button', { name: `Deactivate ${email}` }).click();
  await admin.getByRole('status').filter({ hasText: /was deactivated/ }).waitFor();
  // A deactivation by mistake is undone; an address the mail cannot reach is marked verified.
  await admin.getByRole('button', { name: `Reactivate ${email}` }).click();
  await admin.getByRole('status').filter({ hasText: 'is active again' }).waitFor();
  await admin.getByRole('button', { name: `Mark ${email} verified` }).click();
  await admin.getByRole('status').filter({ hasText: 'is marked verified' }).waitFor();
  const account = await admin.getByRole('row').filter({ hasText: email }).textContent();
  check(account?.startsWith(`${email}yesnoyes`), `the account after reactivating and verifying: ${account}`);
  await admin.getByRole('button', { name: `Deactivate ${email}` }).click();
  await admin.getByRole('status').filter({ hasText: /was deactivated/ }).waitFor();
  const waiting = admin.getByRole('row').filter({ hasText: email }).getByText(/Erase and delete from/);
  await waiting.waitFor({ timeout: 5000 }).catch(() => {
    throw new Error('the erase waits for the last token to expire');
  });
  const deactivatedAt = Date.now();

  step('log out, and the usages page is refused');
  await tabA.getByRole('button', { name: 'Log out' }).click();
  await tabA.getByRole('heading', { name: 'Log in' }).waitFor();
  await tabA.goto(`${web}/usages`);
  await tabA.getByRole('heading', { name: 'Log in' }).waitFor();
  check(new URL(tabA.url()).pathname === '/login', `after logout /usages showed ${tabA.url()}`);

  step('a superuser erases and deletes the account once the wait is over, giving their password again');
  await admin.goto(`${web}/users`);
  await admin.getByRole('heading', { name: 'Users' }).waitFor();
  await admin.getByLabel('Find by email').fill(email);
  const wait = Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900) * 1000;
  await admin.getByRole('button', { name: `Erase and delete ${email}` })
    .waitFor({ timeout: Math.max(0, deactivatedAt + wait - Date.now()) + 15000 });
  await admin.getByRole('button', { name: `Erase and delete ${email}` }).click();
  await admin.getByLabel('Your password').fill(process.env.ADMIN_PASSWORD);
  await axe(admin, 'users');
  await admin.getByRole('form', { name: `Erase and delete ${email}` }).getByRole('button', { name: 'Erase and delete' }).click();
  await admin.getByRole('status').filter({ hasText: /were deleted/ }).waitFor();
  await tabA.goto(`${web}/login`);
  await tabA.getByLabel('Email').fill(email);
  await tabA.getByLabel('Password', { exact: true }).fill(password);
  await tabA.getByRole('button', { name: 'Log in' }).click();
  await tabA.getByRole('alert').filter({ hasText: /incorrect/ }).waitFor();

  check(cspViolations.length === 0, `Content-Security-Policy violations: ${cspViolations.join(' | ')}`);
});
