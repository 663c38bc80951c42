import { AccountTokensService } from '@portico/accounts';
import { AuditEvent, TransactionService } from '@portico/core';
import { MailService, MailSummary } from '@portico/mail';
import { DataSource } from 'typeorm';
import { databaseKinds } from '../support/databases';
import { startSmtp, TestSmtp } from '../support/smtp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startSecondInstance, startTestApp, TestApp } from '../support/test-app';
import { decode, WebSession } from '../support/web-session';
import { dropJobsPrefix, redisForTests, uniqueJobsPrefix } from '../support/redis';

const ACME = { id: '6f1c1d5e-8a47-4f0e-9a53-0d4bb1f6f001', key: 'acme-portal', name: 'Acme Portal' };
const verify = (to: string, link: string, tenant: typeof ACME | null = ACME) => ({
  to,
  template: 'verify-email',
  tenant,
  vars: { firstName: 'Ada', email: to, link },
});

/** The Mailbox row of `to` once it satisfies `done` (the SMTP server sees the mail before Portico records it). */
async function mailRow(mail: MailService, to: string, done: (m: MailSummary) => boolean): Promise<MailSummary> {
  let row: MailSummary | undefined;
  for (let i = 0; i < 200; i++) {
    row = (await mail.list({ limit: 50, offset: 0 })).items.find((m) => m.to === to);
    if (row && done(row)) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Mail to ${to}: ${JSON.stringify(row)}`);
}

/** A page's words as a person reads them. */
const textOf = (html: string) => decode(html.replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ');

async function mailAudit(t: TestApp): Promise<AuditEvent[]> {
  return t.app
    .get(DataSource)
    .getRepository(AuditEvent)
    .find({ where: { targetType: 'mail' }, order: { at: 'ASC' } });
}

describe.each(databaseKinds())('mail over SMTP (%s)', (kind) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let mail: MailService;
  let tx: TransactionService;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp(
      kind,
      { MAIL_FROM: 'Portico Test <no-reply@portico.test>', MAIL_RETRY_SCHEDULE: '0,1,1' },
      { smtpUrl: smtp.url },
    );
    mail = t.app.get(MailService);
    tx = t.app.get(TransactionService);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('delivers a text and an HTML part that name the tenant, from MAIL_FROM', async () => {
    await tx.run(() => mail.send(verify('ada@example.com', 'https://portico.test/email/verify?token=abc')));
    const got = await smtp.inbox.waitFor('ada@example.com');
    expect(got.subject).toBe('Confirm your email address for Acme Portal (via Portico)');
    expect(got.from).toContain('no-reply@portico.test');
    expect(got.text).toContain('https://portico.test/email/verify?token=abc');
    expect(got.text).not.toMatch(/^Subject:/m);
    expect(got.html).toContain('Acme Portal (via Portico)');
    expect(got.links).toContain('https://portico.test/email/verify?token=abc');
  });

  it('names Portico when the account belongs to no tenant, and escapes what goes into the HTML', async () => {
    await tx.run(() =>
      mail.send({
        to: 'bob@example.com',
        template: 'verify-email',
        tenant: null,
        vars: { firstName: '<script>x</script>', email: 'bob@example.com', link: 'https://p.test/x' },
      }),
    );
    const got = await smtp.inbox.waitFor('bob@example.com');
    expect(got.subject).toBe('Confirm your email address for Portico');
    expect(got.html).not.toContain('<script>x</script>');
    expect(got.html).toContain('&lt;script&gt;');
  });

  it('sends nothing for a change that rolled back', async () => {
    await expect(
      tx.run(async () => {
        await mail.send(verify('rolled@example.com', 'https://p.test/r'));
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    await tx.run(() => mail.send(verify('after@example.com', 'https://p.test/a')));
    await smtp.inbox.waitFor('after@example.com');
    expect(smtp.inbox.find('rolled@example.com')).toEqual([]);
  });

  it('shows no banner when mail is delivered', async () => {
    const admin = new WebSession(t);
    await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const res = await admin.get('/console');
    expect(res.status).toBe(200);
    expect(decode(res.text)).not.toContain('Mail is not being delivered');
  });

  it('refuses an unknown template (a programmer error)', async () => {
    await expect(tx.run(() => mail.send({ to: 'x@example.com', template: 'no-such-template', tenant: null, vars: {} }))).rejects.toThrow(
      /Unknown mail template "no-such-template"/,
    );
  });

  it('retries after the server refuses for a while, and audits without the link', async () => {
    smtp.refuse(2, 451);
    await tx.run(() => mail.send(verify('retry@example.com', 'https://p.test/email/verify?token=secret-token-value')));
    const got = await smtp.inbox.waitFor('retry@example.com', 15_000);
    expect(got.text).toContain('secret-token-value');
    const row = await mailRow(mail, 'retry@example.com', (m) => m.status !== 'queued');
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
    // The body held a live link: it is gone once sent.
    expect((await mail.read(row.id))!.text).toBeNull();
    const audit = (await mailAudit(t)).filter((a) => a.targetId === row.id);
    expect(audit.map((a) => a.action)).toEqual(['mail.queued', 'mail.sent']);
    expect(audit[0].details).toMatchObject({ template: 'verify-email', to: 'retry@example.com' });
    expect(audit[0].tenantKey).toBe('acme-portal');
    expect(JSON.stringify(await mailAudit(t))).not.toMatch(/secret-token-value|token=/);
  });

  it('gives up at once on a permanent refusal, saying why', async () => {
    smtp.refuse(1, 550);
    await tx.run(() => mail.send(verify('nobody@example.com', 'https://p.test/n')));
    const row = await mailRow(mail, 'nobody@example.com', (m) => m.status !== 'queued');
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.lastError).toMatch(/550|No such mailbox/);
    expect((await mailAudit(t)).some((a) => a.action === 'mail.failed' && a.targetId === row.id)).toBe(true);
  });
});

describe.each(databaseKinds())('mail survives a restart (%s)', (kind) => {
  it('a mail left queued by one server is delivered by the next one', async () => {
    const refusing = await startSmtp();
    const first = await startTestApp(kind, { MAIL_RETRY_SCHEDULE: '0,600,600' }, { smtpUrl: refusing.url });
    refusing.refuse(100, 421);
    await first.app.get(TransactionService).run(() => first.app.get(MailService).send(verify('later@example.com', 'https://p.test/l')));
    const row = await mailRow(first.app.get(MailService), 'later@example.com', (m) => m.attempts > 0);
    expect(row).toMatchObject({ status: 'queued', attempts: 1 });
    await first.app.close();
    await refusing.close();

    const smtp = await startSmtp();
    first.clock.advance(601_000);
    const next = await startSecondInstance(first, { SMTP_URL: smtp.url });
    try {
      const got = await smtp.inbox.waitFor('later@example.com', 15_000);
      expect(got.subject).toContain('Acme Portal (via Portico)');
      expect((await mailRow(next.app.get(MailService), 'later@example.com', (m) => m.status !== 'queued')).status).toBe('sent');
    } finally {
      await next.close();
      await first.db.drop();
      await smtp.close();
    }
  });
});

describe.each(databaseKinds())('mail on the BullMQ queue (%s)', (kind) => {
  const redisUrl = redisForTests('mail on BullMQ');
  (redisUrl ? it : it.skip)('delivers through a Redis queue, retrying after a refusal', async () => {
    const prefix = uniqueJobsPrefix();
    const smtp = await startSmtp();
    const t = await startTestApp(kind, { REDIS_URL: redisUrl!, JOBS_PREFIX: prefix, MAIL_RETRY_SCHEDULE: '0,1' }, { smtpUrl: smtp.url });
    try {
      smtp.refuse(1, 451);
      await t.app.get(TransactionService).run(() => t.app.get(MailService).send(verify('queued@example.com', 'https://p.test/q')));
      const got = await smtp.inbox.waitFor('queued@example.com', 15_000);
      expect(got.subject).toContain('Acme Portal (via Portico)');
      expect(await mailRow(t.app.get(MailService), 'queued@example.com', (m) => m.status !== 'queued')).toMatchObject({
        status: 'sent',
        attempts: 2,
      });
    } finally {
      await t.close();
      await smtp.close();
      await dropJobsPrefix(redisUrl!, prefix);
    }
  });
});

describe.each(databaseKinds())('mail without SMTP_URL (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp(kind)));
  afterAll(async () => t?.close());

  it('shows the mail in the console Mailbox, with the banner on every console page', async () => {
    const mail = t.app.get(MailService);
    await t.app.get(TransactionService).run(() => mail.send(verify('inbox@example.com', 'https://p.test/email/verify?token=shown')));
    const admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
    for (const page of ['/console', '/console/users', '/console/mail']) {
      const res = await admin.get(page);
      expect(res.status).toBe(200);
      expect(textOf(res.text)).toContain('Mail is not being delivered: it is kept in the Mailbox until SMTP_URL is set.');
    }
    const list = await admin.get('/console/mail');
    expect(decode(list.text)).toContain('Confirm your email address for Acme Portal (via Portico)');
    expect(list.text).toContain('inbox@example.com');
    const id = /href="\/console\/mail\/([0-9a-f-]{36})"/.exec(list.text)![1];
    const read = await admin.get(`/console/mail/${id}`);
    expect(read.status).toBe(200);
    expect(decode(read.text)).toContain('https://p.test/email/verify?token=shown');
    expect(read.text).toMatch(/<iframe[^>]+sandbox/);
    const html = await admin.get(`/console/mail/${id}/html`);
    expect(html.status).toBe(200);
    expect(html.headers['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
    expect(html.text).toContain('Acme Portal (via Portico)');
    expect((await admin.get('/console/mail/not-an-id')).status).toBe(400);
    expect((await admin.get('/console/mail/6f1c1d5e-8a47-4f0e-9a53-0d4bb1f6f0ff')).status).toBe(404);
    // Nobody but a signed-in platform admin reads mail.
    expect((await new WebSession(t).get(`/console/mail/${id}`)).status).not.toBe(200);
    expect((await t.http.get(`/console/mail/${id}`).set('Authorization', t.admin)).status).not.toBe(200);
  });

  it('keeps the mail, readable, for the Mailbox', async () => {
    const mail = t.app.get(MailService);
    await t.app.get(TransactionService).run(() => mail.send(verify('kept@example.com', 'https://p.test/k')));
    // Found by recipient: on SQLite two mails written within a second have the same created_at.
    const row = (await mail.list({ limit: 5, offset: 0 })).items.find((m) => m.to === 'kept@example.com')!;
    expect(row).toMatchObject({ to: 'kept@example.com', status: 'stored', template: 'verify-email' });
    const read = (await mail.read(row.id))!;
    expect(read.text).toContain('https://p.test/k');
    expect(read.html).toContain('Acme Portal (via Portico)');
  });
});

describe.each(databaseKinds())('account tokens (%s)', (kind) => {
  let t: TestApp;
  let tokens: AccountTokensService;
  let tx: TransactionService;
  const userId = '0b7e4c1e-3a0d-4c55-9d0e-5f1d8f1b2a01';
  beforeAll(async () => {
    t = await startTestApp(kind);
    tokens = t.app.get(AccountTokensService);
    tx = t.app.get(TransactionService);
  });
  afterAll(async () => t?.close());

  const issue = (tenantId: string | null = null, purpose: 'password-reset' | 'email-verification' = 'password-reset') =>
    tx.run(() => tokens.issue({ purpose, userId, tenantId, email: 'ada@example.com', data: { why: 'test' } }));

  it('is random, stored hashed, and works once', async () => {
    const raw = await issue();
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await t.app.get(DataSource).query('SELECT token_hash FROM account_tokens');
    expect(JSON.stringify(rows)).not.toContain(raw);
    expect(await tokens.peek('password-reset', raw, null)).toMatchObject({
      ok: true,
      token: { userId, email: 'ada@example.com', data: { why: 'test' } },
    });
    const both = await Promise.all([tokens.consume('password-reset', raw, null), tokens.consume('password-reset', raw, null)]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    expect(both.find((r) => !r.ok)).toEqual({ ok: false, reason: 'used' });
  });

  it('tells unknown, tampered, wrong-purpose, foreign and expired links apart', async () => {
    const raw = await issue();
    expect(await tokens.consume('password-reset', 'x'.repeat(43), null)).toEqual({ ok: false, reason: 'unknown' });
    expect(await tokens.consume('password-reset', raw.slice(0, -1), null)).toEqual({ ok: false, reason: 'unknown' });
    expect(await tokens.consume('email-verification', raw, null)).toEqual({ ok: false, reason: 'unknown' });
    const tenantA = await t.http.post('/api/v1/tenants').set('Authorization', t.admin).send({ key: 'tenant-a', name: 'A' });
    const foreign = await issue(tenantA.body.id);
    expect(await tokens.consume('password-reset', foreign, null)).toEqual({ ok: false, reason: 'foreign' });
    expect(await tokens.consume('password-reset', raw, tenantA.body.id)).toEqual({ ok: false, reason: 'foreign' });
    expect((await tokens.consume('password-reset', foreign, tenantA.body.id)).ok).toBe(true);
    t.clock.advance(31 * 60_000);
    expect(await tokens.consume('password-reset', raw, null)).toEqual({ ok: false, reason: 'expired' });
    t.clock.reset();
  });

  it('revokes every unused link of a purpose, and sweeps expired ones', async () => {
    const a = await issue();
    const b = await issue();
    const other = await issue(null, 'email-verification');
    await tx.run(() => tokens.revokeAll('password-reset', userId));
    expect(await tokens.peek('password-reset', a, null)).toEqual({ ok: false, reason: 'unknown' });
    expect(await tokens.peek('password-reset', b, null)).toEqual({ ok: false, reason: 'unknown' });
    expect((await tokens.peek('email-verification', other, null)).ok).toBe(true);
    expect(await tokens.sweep(new Date(t.clock.nowMs() + 25 * 3_600_000))).toBeGreaterThan(0);
    expect(await tokens.peek('email-verification', other, null)).toEqual({ ok: false, reason: 'unknown' });
  });
});
