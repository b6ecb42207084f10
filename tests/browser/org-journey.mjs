// The organization journey in headless Chromium against the running stack:
//  1. an owner signs up and creates an organization;
//  2. records a facility (its region's electricity type first in the
//     picker), corrects its name, uploads its supplier factors (a bad
//     row listed by line first), and invites a colleague as editor, who
//     opens the mailed link, logs in, is asked to verify the address,
//     does so by the mailed link, joins and records a usage at the
//     facility, which the owner then sees, on the dashboard by facility too;
//  3. a viewer joins too: the usages page shows no form and no edit or
//     delete buttons, and the API refuses a viewer's write (403);
//  4. the Audit page names people by email, filters by person and through
//     today, and shows the membership trail (who was invited and joined);
//  5. the owner retires the supplier factors with the password, and
//     renames the organization (the switcher follows at once);
//  6. the organization and factors pages on a 390 px phone, and axe-core.
// Mail is read from user-service's log (MAIL_TRANSPORT=log).
//
// Env: WEB_URL, USER_API_URL, CARBON_API_URL, USER_LOG, ARTIFACTS, CHROMIUM.
import { readFileSync } from 'node:fs';
import { axe, browser, check, journey, step } from './harness.mjs';

const web = process.env.WEB_URL;
const userApi = process.env.USER_API_URL;
const carbonApi = process.env.CARBON_API_URL;
const artifacts = process.env.ARTIFACTS ?? '.';
const password = 'org journey passphrase';
const stamp = Date.now();
const owner = `owner-${stamp}@example.com`;
const editor = `editor-${stamp}@example.com`;
const viewer = `viewer-${stamp}@example.com`;

/** The newest token mailed to `to` of `kind`, from the log (waits up to 10 s). */
async function mailedToken(to, kind) {
  for (let i = 0; i < 100; i++) {
    const lines = readFileSync(process.env.USER_LOG, 'utf8').split('\n').reverse();
    for (const line of lines) {
      if (!line.includes(to) || !line.includes(kind)) continue;
      try {
        const fields = JSON.parse(line).fields ?? {};
        if (fields.to === to && fields.kind === kind && fields.token) return fields.token;
      } catch {
        // Not a JSON line.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${kind} mail to ${to} in the log`);
}

async function api(base, path, { method = 'GET', token, json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  }
  if (form) body = new URLSearchParams(form);
  return fetch(`${base}${path}`, { method, headers, body });
}

/** An account made through the API, its address not verified yet. */
async function registeredAccount(email) {
  const registered = await api(userApi, '/auth/register', { method: 'POST', json: { email, password } });
  check(registered.status === 201, `registering ${email}: ${registered.status}`);
}

/** An account with a verified address, made through the API. */
async function verifiedAccount(email) {
  await registeredAccount(email);
  await api(userApi, '/auth/request-verify-token', { method: 'POST', json: { email } });
  const token = await mailedToken(email, 'EmailVerification');
  const verified = await api(userApi, '/auth/verify', { method: 'POST', json: { token } });
  check(verified.status === 200, `verifying ${email}: ${verified.status}`);
}

async function logIn(page, email) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** A second person opens the mailed link, logs in and joins; with
 * `unverified`, the page first has them verify their address by mail. */
async function joinByLink(email, role, { unverified = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const token = await mailedToken(email, 'Invitation');
  const link = `${web}/accept-invitation?token=${encodeURIComponent(token)}`;
  await page.goto(link);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await logIn(page, email);
  if (unverified) {
    await page.getByTestId('verify-prompt').waitFor();
    await axe(page, 'accept invitation, unverified');
    await page.getByRole('button', { name: 'Send a verification mail' }).click();
    await page.getByText(`A verification mail is on its way to ${email}`).waitFor();
    const verifying = await mailedToken(email, 'EmailVerification');
    await page.goto(`${web}/verify-email?token=${encodeURIComponent(verifying)}`);
    await page.getByText('Your address is verified.').waitFor();
    await axe(page, 'email verified');
    await page.goto(link);
  }
  await page.getByRole('heading', { name: 'Welcome to Acme Manufacturing' }).waitFor();
  const joined = await page.getByRole("status").first().textContent();
  check(/as (editor|viewer)/.test(joined ?? ''), `the welcome says the role: ${joined}`);
  await axe(page, `accept invitation (${role})`);
  return { context, page };
}

await journey('the organization journey', async () => {
  step('an owner signs up and creates an organization');
  const ownerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ownerPage = await ownerContext.newPage();
  await ownerPage.goto(`${web}/register`);
  await ownerPage.getByLabel('Email').fill(owner);
  await ownerPage.getByLabel('Password').fill(password);
  await ownerPage.getByRole('button', { name: 'Sign up' }).click();
  await ownerPage.getByRole('heading', { name: /Your footprint/ }).waitFor();
  await ownerPage.getByRole('link', { name: 'Organization' }).click();
  await ownerPage.getByRole('heading', { name: 'Your personal inventory' }).waitFor();
  await axe(ownerPage, 'organization, personal');
  await ownerPage.getByLabel('Organization name').fill('Acme Manufacturing');
  await ownerPage.getByRole('button', { name: 'Create organization' }).click();
  await ownerPage.getByRole('heading', { name: 'Acme Manufacturing' }).waitFor();
  const switcher = ownerPage.getByRole('combobox', { name: 'Organization' });
  await switcher.waitFor();
  check((await switcher.locator('option:checked').textContent())?.includes('Acme Manufacturing'),
    'the switcher shows the new organization');

  step('the owner records a facility with its region\'s electricity type, then corrects its name');
  await ownerPage.getByRole('link', { name: 'Facilities' }).click();
  await ownerPage.getByRole('heading', { name: 'Facilities' }).waitFor();
  await ownerPage.getByLabel('Name').fill('Fresno plnt');
  await ownerPage.getByLabel('Region').fill('US-eGRID-CAMX');
  // The region's own grid type comes first among the electricity types.
  const usualType = ownerPage.getByLabel('Usual electricity type');
  await usualType.locator('option', { hasText: 'CAMX' }).first().waitFor({ state: 'attached' });
  const first = await usualType.locator('option').nth(1).textContent();
  check(first?.includes('CAMX'), `the first electricity type for US-eGRID-CAMX: ${first}`);
  await usualType.selectOption({ index: 1 });
  const camx = await usualType.inputValue();
  await ownerPage.getByRole('button', { name: 'Record facility' }).click();
  await ownerPage.getByTestId('facilities-table').getByText('Fresno plnt').waitFor();
  await ownerPage.getByRole('button', { name: 'Edit Fresno plnt' }).click();
  await ownerPage.getByRole('heading', { name: 'Edit Fresno plnt' }).waitFor();
  check(await ownerPage.getByLabel('Usual electricity type').inputValue() === camx, 'the edit form shows the usual type');
  await ownerPage.getByLabel('Name').fill('Fresno plant');
  await ownerPage.getByRole('button', { name: 'Save changes' }).click();
  await ownerPage.getByTestId('facilities-table').getByText('Fresno plant').waitFor();
  check(await ownerPage.getByText('Fresno plnt').count() === 0, 'the old name is gone');
  await axe(ownerPage, 'facilities');
  // Its History: recorded, then renamed.
  await ownerPage.getByRole('link', { name: 'History of Fresno plant' }).click();
  await ownerPage.getByTestId('audit-entity').waitFor();
  await ownerPage.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 2);
  const facilityHistory = await ownerPage.getByTestId('audit-table').textContent();
  check(facilityHistory?.includes('name: Fresno plnt → Fresno plant') && facilityHistory.includes('create facility'),
    `the facility's history: ${facilityHistory}`);
  await ownerPage.getByRole('link', { name: 'Organization' }).click();
  await ownerPage.getByRole('heading', { name: 'Acme Manufacturing' }).waitFor();

  step('the owner uploads the organization\'s supplier factors: a bad row is listed by line, the fixed file is stored');
  await ownerPage.getByRole('link', { name: 'Factors' }).click();
  await ownerPage.getByRole('heading', { name: 'Emission factor datasets' }).waitFor();
  const datasets = ownerPage.getByTestId('datasets-table');
  check((await datasets.getByRole('row', { name: /epa-ghg-hub-2025/ }).textContent())?.includes('published'),
    'the EPA Hub is listed as published');
  const upload = ownerPage.getByRole('form', { name: 'Upload a dataset' });
  await upload.getByLabel('Dataset id').fill('acme-suppliers');
  await upload.getByLabel('Name', { exact: true }).fill('ACME supplier factors');
  await upload.getByLabel('Publisher').fill('ACME Steam Co.');
  await upload.getByLabel('Edition').fill('2026');
  await upload.getByLabel('Licence').fill('Confidential, supplied to Acme Manufacturing');
  const csv = (rows) => ({ name: 'acme-factors.csv', mimeType: 'text/csv',
    buffer: Buffer.from(`name,unit,scope,co2,ch4,n2o,category,source\r\n${rows}`) });
  await upload.getByLabel('CSV file').setInputFiles(csv('Steam from the ACME plant,GJ,2,sixty,,,purchased_heat,ACME declaration\r\n'));
  await upload.getByRole('button', { name: 'Upload' }).click();
  const rowProblem = ownerPage.getByTestId('dataset-errors').getByRole('row', { name: /co2/ });
  await rowProblem.waitFor();
  check((await rowProblem.textContent())?.startsWith('2'), `the bad cell's line: ${await rowProblem.textContent()}`);
  await upload.getByLabel('CSV file').setInputFiles(csv('Steam from the ACME plant,GJ,2,60.2,0.0011,0.00011,purchased_heat,ACME declaration\r\n'));
  await upload.getByRole('button', { name: 'Upload' }).click();
  await ownerPage.getByRole('status').filter({ hasText: 'Stored 1 type in ACME supplier factors' }).waitFor();
  check((await datasets.getByRole('row', { name: /ACME supplier factors/ }).textContent())?.includes('this organization\'s'),
    'the upload is the organization\'s own');
  // The organization's own come first, the published next, the placeholders last.
  const order = await datasets.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('code')?.textContent ?? ''));
  check(order[0].startsWith('acme-suppliers') && order[1] === 'epa-ghg-hub-2025' && order.at(-1) === 'example',
    `the datasets' order: ${order}`);
  await axe(ownerPage, 'factors');
  await ownerPage.getByRole('link', { name: 'Usages', exact: true }).click();
  await ownerPage.getByLabel('Search types').fill('ACME plant');
  await ownerPage.getByLabel('Usage type').locator('option', { hasText: 'Steam from the ACME plant' }).waitFor({ state: 'attached' });
  await ownerPage.getByRole('link', { name: 'Organization' }).click();
  await ownerPage.getByRole('heading', { name: 'Acme Manufacturing' }).waitFor();

  step('the owner invites a colleague as editor, who verifies the address and joins by the mailed links, and records a usage at the facility');
  await registeredAccount(editor);
  await ownerPage.getByLabel('Their email').fill(editor);
  await ownerPage.getByLabel('Role', { exact: true }).selectOption('editor');
  await ownerPage.getByRole('button', { name: 'Send invitation' }).click();
  await ownerPage.getByText(`${editor} is invited as editor`).waitFor();
  await ownerPage.getByTestId('invitations-table').getByText(editor).waitFor();
  await axe(ownerPage, 'organization, shared');
  const { context: editorContext, page: editorPage } = await joinByLink(editor, 'editor', { unverified: true });
  await editorPage.getByRole('button', { name: 'Go to its usages' }).click();
  await editorPage.getByLabel('Usage type').locator(`option[value="${camx}"]`).waitFor({ state: 'attached' });
  await editorPage.getByLabel('Facility', { exact: true }).first().selectOption({ label: 'Fresno plant' });
  const picked = await editorPage.getByLabel('Usage type').inputValue();
  check(picked === camx, `the usage form picks the facility's usual type: ${picked}, expected ${camx}`);
  await editorPage.getByLabel('Amount').fill('42');
  await editorPage.getByLabel('Usage type').selectOption('100');
  await editorPage.getByRole('button', { name: 'Add usage' }).click();
  await editorPage.getByTestId('usages-table').locator('tbody tr').first().waitFor();
  await editorContext.close();

  step('the owner sees the editor\'s usage in the organization\'s inventory, and the facility\'s total');
  await ownerPage.goto(`${web}/usages`);
  await ownerPage.getByTestId('usages-table').getByText('42').first().waitFor();
  await ownerPage.getByTestId('usages-table').getByText('Fresno plant').first().waitFor();
  await ownerPage.goto(`${web}/`);
  const site = ownerPage.getByTestId('facility-table').getByRole('row', { name: /Fresno plant/ });
  await site.waitFor();
  check((await site.textContent())?.includes('1'), `the facility line: ${await site.textContent()}`);

  step('a viewer sees no add button, and the API refuses a viewer\'s write');
  await verifiedAccount(viewer);
  await ownerPage.goto(`${web}/organization`);
  await ownerPage.getByLabel('Their email').fill(viewer);
  await ownerPage.getByLabel('Role', { exact: true }).selectOption('viewer');
  await ownerPage.getByRole('button', { name: 'Send invitation' }).click();
  await ownerPage.getByText(`${viewer} is invited as viewer`).waitFor();
  const { context: viewerContext, page: viewerPage } = await joinByLink(viewer, 'viewer');
  await viewerPage.getByRole('button', { name: 'Go to its usages' }).click();
  await viewerPage.getByTestId('usages-table').locator('tbody tr').first().waitFor();
  check(await viewerPage.getByRole('button', { name: 'Add usage' }).count() === 0, 'a viewer sees an add button');
  check(await viewerPage.getByRole('button', { name: /^Delete / }).count() === 0, 'a viewer sees delete buttons');
  // A viewer exports the organization's usages (the editor's among them), and imports none.
  check(await viewerPage.getByRole('form', { name: 'Import usages' }).count() === 0, 'a viewer sees the import form');
  const [download] = await Promise.all([
    viewerPage.waitForEvent('download'),
    viewerPage.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const exported = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  check(exported.length === 2, `a viewer's export of the organization holds ${exported.length - 1} usages, expected the editor's one`);
  await axe(viewerPage, 'usages as a viewer');
  await viewerContext.close();
  const orgs = await (await api(userApi, '/orgs', {
    token: (await (await api(userApi, '/auth/jwt/login', { method: 'POST', form: { username: viewer, password } })).json()).access_token,
  })).json();
  const acme = orgs.find((o) => o.name === 'Acme Manufacturing');
  check(acme?.role === 'viewer', `the viewer's organizations: ${JSON.stringify(orgs)}`);
  const login = await (await api(userApi, '/auth/jwt/login', {
    method: 'POST', form: { username: viewer, password, org_id: acme.id },
  })).json();
  const refused = await api(carbonApi, '/usages', {
    method: 'POST', token: login.access_token, json: { amount: 1, usage_type_id: 100 },
  });
  check(refused.status === 403, `a viewer's POST /usages answered ${refused.status}`);
  check((refused.headers.get('content-type') ?? '').includes('application/problem+json'), 'the refusal is a problem');

  step('the owner\'s Audit page names people by email, filters to the editor through today, and shows who joined');
  await ownerPage.goto(`${web}/audit`);
  await ownerPage.getByRole('heading', { name: 'Audit trail' }).waitFor();
  const trail = ownerPage.getByTestId('audit-table');
  await trail.getByText(`${editor} (editor)`).first().waitFor();
  check((await trail.textContent())?.includes('you (owner)'), `the owner's own entries: ${await trail.textContent()}`);
  await ownerPage.getByLabel('Who').selectOption({ label: editor });
  // "Through" today includes today: the service's `to` is exclusive.
  await ownerPage.getByLabel('Through (UTC)').fill(new Date().toISOString().slice(0, 10));
  await ownerPage.getByRole('button', { name: 'Filter' }).click();
  await ownerPage.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 1);
  check((await trail.textContent())?.includes('create usage'), `the editor's entries: ${await trail.textContent()}`);
  await ownerPage.getByLabel('Trail', { exact: true }).selectOption('members');
  await trail.getByText(`create membership ${viewer}`).waitFor();
  const joined = await trail.textContent();
  check(joined?.includes(`create membership ${editor}`) && joined.includes('create invitation'),
    `the membership trail: ${joined}`);
  await ownerPage.getByRole('button', { name: 'Verify the chain' }).click();
  const verifiedTrail = ownerPage.getByTestId('audit-verification');
  await verifiedTrail.waitFor();
  check(/All \d+ entries verify/.test((await verifiedTrail.textContent()) ?? ''), `the membership trail's verification: ${await verifiedTrail.textContent()}`);
  await axe(ownerPage, 'audit, membership trail');

  step('the owner retires the supplier factors with the password; they leave the usage form');
  await ownerPage.getByRole('link', { name: 'Factors' }).click();
  await ownerPage.getByRole('button', { name: 'Retire ACME supplier factors' }).click();
  const retireForm = ownerPage.getByRole('form', { name: 'Retire ACME supplier factors' });
  await retireForm.getByLabel('Your password').fill(password);
  await retireForm.getByRole('button', { name: 'Retire', exact: true }).click();
  await ownerPage.getByRole('status').filter({ hasText: 'ACME supplier factors is retired' }).waitFor();
  check((await ownerPage.getByTestId('datasets-table').getByRole('row', { name: /ACME supplier factors/ }).textContent())?.includes('(retired)'),
    'the dataset shows retired');
  await ownerPage.getByRole('link', { name: 'Usages', exact: true }).click();
  await ownerPage.getByLabel('Usage type').locator('option').first().waitFor({ state: 'attached' });
  await ownerPage.getByLabel('Search types').fill('ACME plant');
  check(await ownerPage.getByLabel('Usage type').locator('option', { hasText: 'Steam from the ACME plant' }).count() === 0,
    'a retired type is still offered');

  step('the owner renames the organization, and the switcher says the new name at once');
  await ownerPage.getByRole('link', { name: 'Organization' }).click();
  const rename = ownerPage.getByRole('form', { name: 'Rename the organization' });
  await rename.getByLabel('New name').fill('Acme Manufacturing Inc.');
  await rename.getByRole('button', { name: 'Rename' }).click();
  await ownerPage.getByRole('heading', { name: 'Acme Manufacturing Inc.' }).waitFor();
  await ownerPage.getByRole('combobox', { name: 'Organization' }).locator('option', { hasText: 'Acme Manufacturing Inc. (owner)' })
    .waitFor({ state: 'attached' });

  step('on a 390 px phone the organization and factors pages fit the screen');
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phonePage = await phone.newPage();
  await phonePage.goto(`${web}/login`);
  await logIn(phonePage, owner);
  await phonePage.getByRole('heading', { name: /Your footprint/ }).waitFor();
  await phonePage.getByRole('combobox', { name: 'Organization' }).selectOption({ label: 'Acme Manufacturing Inc. (owner)' });
  await phonePage.getByRole('link', { name: 'Organization' }).click();
  await phonePage.getByRole('heading', { name: 'Acme Manufacturing Inc.' }).waitFor();
  await phonePage.getByTestId('members-table').waitFor();
  // Nothing wider than the screen: neither the page nor a table inside it.
  const overflow = await phonePage.evaluate(() => Math.max(
    document.documentElement.scrollWidth,
    ...[...document.querySelectorAll('table')].map((t) => t.getBoundingClientRect().right),
  ) - 390);
  await phonePage.screenshot({ path: `${artifacts}/organization-phone.png`, fullPage: true });
  check(overflow <= 0, `the organization page is ${overflow} px wider than the phone`);
  await phonePage.getByRole('link', { name: 'Factors' }).click();
  await phonePage.getByTestId('datasets-table').waitFor();
  const factorsOverflow = await phonePage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await phonePage.screenshot({ path: `${artifacts}/factors-phone.png`, fullPage: true });
  check(factorsOverflow <= 0, `the factors page is ${factorsOverflow} px wider than the phone`);
  await axe(phonePage, 'factors on a phone');
  await phone.close();
  await ownerContext.close();
});
