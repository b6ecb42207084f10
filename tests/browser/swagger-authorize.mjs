// Opens carbon-service's Swagger UI, authorizes with an email and password
// (the token request crosses origins to user-service), executes GET /usages
// as Try it out leaves it (no parameter filled in for the reader) and
// checks the page shows the 200 answer listing a usage recorded just
// before. Saves a screenshot.
//
// Env: CARBON_URL, EMAIL, PASSWORD, SCREENSHOT (path), CHROMIUM (binary).
import { chromium } from 'playwright-core';

const carbonUrl = process.env.CARBON_URL;
const email = process.env.EMAIL;
const password = process.env.PASSWORD;
const screenshot = process.env.SCREENSHOT ?? 'swagger-authorize.png';
if (!carbonUrl || !email || !password) {
  console.error('CARBON_URL, EMAIL and PASSWORD are required');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
// A usage of the account's own, through the API, for the list to show.
const doc = await (await fetch(`${carbonUrl}/api-docs/openapi.json`)).json();
const tokenUrl = doc.components.securitySchemes.oauth2_password.flows.password.tokenUrl;
const login = await (await fetch(tokenUrl, {
  method: 'POST', body: new URLSearchParams({ username: email, password }),
})).json();
const recorded = await fetch(`${carbonUrl}/usages`, {
  method: 'POST',
  headers: { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ amount: 7, usage_type_id: 100 }),
});
if (recorded.status !== 201) {
  console.error(`recording a usage through the API answered ${recorded.status}`);
  process.exit(1);
}
const usageId = (await recorded.json()).id;

let failed = false;
const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
const tokenRequests = [];
page.on('response', (r) => { if (r.url().includes('/auth/jwt/login')) tokenRequests.push(r.status()); });
try {
  await page.goto(`${carbonUrl}/docs/`, { waitUntil: 'networkidle' });
  await page.click('button.authorize');
  await page.fill('#oauth_username', email);
  await page.fill('#oauth_password', password);
  const modal = page.locator('.modal-ux');
  // Swagger UI's aria-labels differ from the visible text, so match the text.
  await modal.locator('.auth-btn-wrapper button', { hasText: 'Authorize' }).click();
  // Authorized: the modal now offers Logout.
  await modal.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor({ timeout: 15000 });
  await modal.locator('.auth-btn-wrapper button', { hasText: 'Close' }).click();

  const operation = page.locator('#operations-usages-list_usages');
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const status = operation.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 15000 });
  const code = (await status.innerText()).trim();
  await operation.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot, fullPage: false });
  if (!code.startsWith('200')) {
    throw new Error(`GET /usages answered ${code} in Swagger UI`);
  }
  const body = await operation.locator('.live-responses-table .response .response-col_description pre').first().innerText();
  if (!body.includes(usageId)) {
    throw new Error(`Try it out's GET /usages does not list the usage just recorded: ${body.slice(0, 200)}`);
  }
  if (!tokenRequests.includes(200)) {
    throw new Error(`the token request did not succeed: ${JSON.stringify(tokenRequests)}`);
  }
  console.log(`ok: authorized against user-service and GET /usages answered ${code} with the usage; screenshot: ${screenshot}`);
} catch (err) {
  failed = true;
  console.error(`browser test failed: ${err.message}`);
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
