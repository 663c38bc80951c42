import type { Browser, Locator, Page } from 'playwright-core';
import { browserTests, consoleSession, follow, launchChromium, screenshots, submit } from '../support/browser';
import { makeOrganization, makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { startTestApp, type TestApp } from '../support/test-app';

const ORG = 'Kestrel Freight';
const ADA = 'ada.lovelace@kestrel.example';
const GUEST = 'grace.hopper@kestrel.example';
const OWNER = 'mary.somerville@kestrel.example';

/** An organization's members and invitations, as an administrator manages them in the console. */
(browserTests('console organizations browser tests') ? describe : describe.skip)('console: organization members in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let tenant: TenantFixture;
  let orgId: string;
  let adaId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    tenant = await makeTenant(t);
    const other = await makeTenant(t);
    orgId = (await makeOrganization(t, tenant.auth, { name: ORG })).id;
    await makeOrganization(t, tenant.auth, { name: 'Kestrel Logistics' });
    adaId = (await makeUser(t, tenant.auth, { email: ADA, firstName: 'Ada', lastName: 'Lovelace' })).id;
    // Same name, other tenant: never offered.
    await makeUser(t, other.auth, { email: 'ada.lovelace@elsewhere.example', firstName: 'Ada', lastName: 'Lovelace' });
    browser = await launchChromium();
    page = await consoleSession(browser, t.baseUrl, pageErrors);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  it('finds the organization by name and adds a member found by typing part of their email', async () => {
    await page.goto('/console/organizations');
    await page.getByLabel('Search').fill('kestrel fr');
    await follow(page.getByRole('button', { name: 'Filter' }));
    await follow(page.getByRole('link', { name: ORG }));
    expect(new URL(page.url()).pathname).toBe(`/console/organizations/${orgId}`);
    await expect(text(page.getByRole('region', { name: /Members/ }))).resolves.toContain('No members yet');

    // Suggestions appear as the admin types (htmx), only from the organization's tenant.
    await page.getByLabel(/Find a user/).pressSequentially('ada.love');
    const match = page.getByTestId('member-candidates').getByRole('listitem');
    await match.first().waitFor();
    expect(await match.count()).toBe(1);
    expect(await match.textContent()).toContain(ADA);
    await screenshots(page, 'console-organizations-org-member-search');

    await match.getByLabel(`Role for ${ADA}`).selectOption('admin');
    expect(await submit(match.getByRole('button', { name: 'Add' }))).toBe(303);
    await page.getByRole('status').getByText(`${ADA} is now an admin of ${ORG}.`).waitFor();
    const row = page.getByTestId('member-row');
    expect(await row.count()).toBe(1);
    expect(await row.getByRole('link', { name: 'Ada Lovelace' }).getAttribute('href')).toBe(`/console/users/${adaId}`);
    expect(await row.getByLabel(`Role of ${ADA}`).inputValue()).toBe('admin');

    // Reloading the page after the add shows it again; it does not add twice.
    await page.reload();
    expect(await page.getByTestId('member-row').count()).toBe(1);
    expect(await members()).toEqual([{ email: ADA, role: 'admin' }]);
    await screenshots(page, 'console-organizations-org-members');
  });

  it("changes a member's role", async () => {
    const row = page.getByTestId('member-row').filter({ hasText: ADA });
    await row.getByLabel(`Role of ${ADA}`).selectOption('owner');
    expect(await submit(row.getByRole('button', { name: 'Change role' }))).toBe(303);
    await page.getByRole('status').getByText(`${ADA} is now an owner of ${ORG}.`).waitFor();
    expect(await page.getByTestId('member-row').getByLabel(`Role of ${ADA}`).inputValue()).toBe('owner');
    expect(await members()).toEqual([{ email: ADA, role: 'owner' }]);
  });

  it('removes a member only after the confirmation page says what happens', async () => {
    // Ada is the only owner: instead of asking, the page says why she cannot go.
    await follow(page.getByTestId('member-row').getByRole('link', { name: 'Remove…' }));
    await page.getByTestId('form-errors').getByText(`${ORG} must keep an owner and this is its only one`).waitFor();
    await screenshots(page, 'console-organizations-org-member-last-owner');
    expect(await members()).toEqual([{ email: ADA, role: 'owner' }]);
    await makeUser(t, tenant.auth, { email: OWNER, organizationId: orgId, role: 'owner' });
    await page.goto(`/console/organizations/${orgId}`);
    const ada = page.getByTestId('member-row').filter({ hasText: ADA });

    await follow(ada.getByRole('link', { name: 'Remove…' }));
    await page.getByRole('heading', { name: `Remove ${ADA} from “${ORG}”?` }).waitFor();
    expect(await page.locator('.confirm p').first().textContent()).toContain(
      'Ada Lovelace (ada.lovelace@kestrel.example) stops being an owner',
    );
    await screenshots(page, 'console-organizations-org-member-remove');
    // The first click only asked.
    expect(await members()).toHaveLength(2);
    await follow(page.getByRole('link', { name: 'Cancel' }));
    expect(await page.getByTestId('member-row').count()).toBe(2);

    await follow(ada.getByRole('link', { name: 'Remove…' }));
    expect(await submit(page.getByRole('button', { name: 'Remove member' }))).toBe(303);
    await page.getByRole('status').getByText(`${ADA} is no longer a member of ${ORG}; the account is kept.`).waitFor();
    expect(await page.getByTestId('member-row').count()).toBe(1);
    expect(await members()).toEqual([{ email: OWNER, role: 'owner' }]);
  });

  it('invites by email, the mail waits in the Mailbox, and revoking asks first', async () => {
    await page.goto(`/console/organizations/${orgId}`);
    const invite = page.getByTestId('invite-form');
    await invite.getByLabel('Invite by email').fill(GUEST);
    await invite.getByLabel('Role').selectOption('admin');
    expect(await submit(invite.getByRole('button', { name: 'Send invitation' }))).toBe(303);
    await page.getByRole('status').getByText(`Invitation sent to ${GUEST}.`).waitFor();
    await page.reload();
    const pending = page.getByTestId('invitations').getByRole('row').filter({ hasText: GUEST });
    expect(await pending.count()).toBe(1);
    expect(await pending.textContent()).toContain('as admin');
    await screenshots(page, 'console-organizations-org-invitations');

    await page.goto('/console/mail');
    const mail = page.getByTestId('mail-row').filter({ hasText: GUEST });
    expect(await mail.count()).toBe(1);
    expect(await mail.textContent()).toContain(ORG);

    await page.goto(`/console/organizations/${orgId}`);
    await follow(pending.getByRole('link', { name: 'Revoke…' }));
    await page.getByRole('heading', { name: `Revoke the invitation of ${GUEST}?` }).waitFor();
    await screenshots(page, 'console-organizations-org-invitation-revoke');
    expect(await pendingInvitations()).toEqual([GUEST]);
    expect(await submit(page.getByRole('button', { name: 'Revoke invitation' }))).toBe(303);
    await page.getByRole('status').getByText(`The invitation of ${GUEST} is revoked`).waitFor();
    await expect(text(page.getByRole('region', { name: 'Invitations' }))).resolves.toContain('No pending invitations');
    expect(await pendingInvitations()).toEqual([]);
  });

  async function text(target: Locator): Promise<string> {
    return ((await target.textContent()) ?? '').replace(/\s+/g, ' ');
  }

  async function members(): Promise<{ email: string; role: string }[]> {
    const res = await t.http.get(`/api/v1/organizations/${orgId}/members`).set('Authorization', tenant.auth).expect(200);
    return (res.body.items as { email: string; role: string }[]).map(({ email, role }) => ({ email, role }));
  }

  async function pendingInvitations(): Promise<string[]> {
    const res = await t.http.get(`/api/v1/organizations/${orgId}/invitations?status=pending`).set('Authorization', tenant.auth).expect(200);
    return (res.body.items as { email: string }[]).map((i) => i.email);
  }
});
