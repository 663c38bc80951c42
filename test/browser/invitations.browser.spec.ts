import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, chromiumPresent, LAUNCH_ARGS } from '../support/browser';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { startTestApp, type TestApp } from '../support/test-app';

const PASSWORD = 'Lantern-Heron-62-slip';

/** An owner invites a colleague from their account; the colleague follows the mailed link in a real browser and joins. */
describe('invitations in a real browser', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!chromiumPresent) {
      if (process.env.CI === 'true')
        throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests (apt-get install chromium)`);
      process.stderr.write(`\n  [skipped] invitation browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium to run them)\n\n`);
      return;
    }
    smtp = await startSmtp();
    t = await startTestApp('sqlite', { SMTP_URL: smtp.url });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  };

  it('goes from the owner’s invite form to the mail, to the new account, to the organization', async () => {
    if (!chromiumPresent) return;
    const tenant = await makeTenant(t);
    const org = await makeOrganization(t, tenant.auth, { name: 'Heron Slipway' });
    const owner = await makeUser(t, tenant.auth, {
      email: 'owner@slipway.example',
      firstName: 'Olga',
      lastName: 'Owner',
      password: PASSWORD,
      organizationId: org.id,
      role: 'owner',
    });

    const ownerPage = await newPage();
    await ownerPage.goto(`/t/${tenant.key}/login`);
    await ownerPage.getByLabel('Email or username').fill(owner.email);
    await ownerPage.getByLabel('Password').fill(PASSWORD);
    await ownerPage.getByRole('button', { name: 'Sign in' }).click();
    await ownerPage.getByRole('link', { name: 'Heron Slipway' }).click();
    await ownerPage.getByLabel('Email').fill('colleague@slipway.example');
    await ownerPage.getByLabel('Role').selectOption('admin');
    await ownerPage.getByRole('button', { name: 'Send invitation' }).click();
    expect(await ownerPage.getByRole('status').innerText()).toContain('Invitation sent to colleague@slipway.example');
    expect(await ownerPage.getByTestId('invitations').innerText()).toContain('colleague@slipway.example');

    const mail = await smtp.inbox.waitFor('colleague@slipway.example');
    expect(mail.subject).toBe(`Olga Owner invited you to Heron Slipway on Tenant ${tenant.key}`);
    const link = mail.links.find((l) => l.includes('/invitations/'))!;

    const colleague = await newPage();
    await colleague.goto(new URL(link).pathname);
    expect(await colleague.getByTestId('invitation-summary').innerText()).toContain('Olga Owner invited colleague@slipway.example');
    await colleague.getByLabel('First name').fill('Cal');
    await colleague.getByLabel('Last name').fill('Colleague');
    await colleague.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await colleague.getByLabel('Repeat the password').fill(PASSWORD);
    await colleague.getByRole('button', { name: 'Create account and join' }).click();
    await colleague.waitForURL('**/account');
    expect(await colleague.getByRole('status').innerText()).toContain('you joined Heron Slipway');
    // An admin now, the colleague manages the organization too.
    await colleague.getByRole('link', { name: 'Heron Slipway' }).click();
    expect(await colleague.getByTestId('members').innerText()).toContain('colleague@slipway.example');

    await ownerPage.reload();
    expect(await ownerPage.getByTestId('members').innerText()).toContain('Cal Colleague');
    expect(await ownerPage.locator('body').innerText()).toContain('No pending invitations');
  });
});
