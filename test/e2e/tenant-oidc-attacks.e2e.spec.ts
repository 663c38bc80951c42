import { createPublicKey } from 'node:crypto';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeUser, TenantFixture } from '../support/factories';
import { accountOf, FakeProvider, oidcTenant, signInFlow } from '../support/tenant-oidc';
import { startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

/**
 * An attacker-controlled provider (discovery, JWKS and a token endpoint answering crafted ID tokens
 * signed with jose) against a tenant's OpenID Connect sign-in: each attack is refused with a page
 * that says what happened, an audit entry with its reason code, and no session.
 */
describe.each(databaseKinds())('tenant OpenID Connect sign-in attacks (%s)', (kind) => {
  let t: TestApp;
  let fake: FakeProvider;
  let tenant: TenantFixture;
  let problems: string[];
  let seenAudits = 0;

  const start = () => `/t/${tenant.key}/oidc/init?next=/account`;
  const now = () => Math.floor(Date.now() / 1000);

  /** The refusal audits written since the last call. */
  async function newRefusals(): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const res = await t.http.get(`/api/v1/audit-events?tenantKey=${tenant.key}&limit=500`).set('Authorization', t.admin).expect(200);
    const refusals = (res.body.items as { action: string; details: Record<string, unknown> }[]).filter((a) =>
      ['auth.oidc.refused', 'auth.login.refused'].includes(a.action),
    );
    const fresh = refusals.slice(0, refusals.length - seenAudits);
    seenAudits = refusals.length;
    return fresh;
  }

  /** Runs a sign-in against the fake provider and checks the refusal: page, audit reason, no session. */
  async function refused(expected: { status: number; text: RegExp; reason: string }): Promise<void> {
    const session = new WebSession(t);
    const done = await signInFlow(session, start());
    expect({ status: done.status, text: decode(done.text) }).toEqual({
      status: expected.status,
      text: expect.stringMatching(expected.text),
    });
    expect(done.text).toContain('Sign-in refused');
    expect((await accountOf(session)).signedIn).toBe(false);
    expect((await newRefusals()).map((a) => a.details.reason)).toEqual([expected.reason]);
  }

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    fake = await FakeProvider.start();
    ({ tenant } = await oidcTenant(t, fake));
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.craft = (c) => fake.sign(fake.claims(c));
    fake.authorizeParams = {};
    fake.tokenBody = null;
    fake.tokenDelayMs = 0;
    fake.advertiseIss = true;
    fake.extraJwks = [];
    t.clock.reset();
  });
  afterEach(async () => {
    expect(realProblems(problems.splice(0))).toEqual([]);
    await newRefusals();
  });

  it('signs in with an honest answer (the baseline every attack below changes one thing of)', async () => {
    const session = new WebSession(t);
    const done = await signInFlow(session, start());
    expect(done.location).toBe('/account');
    expect((await accountOf(session)).signedIn).toBe(true);
  });

  it('refuses an answer without state, and one whose state this browser never sent', async () => {
    const session = new WebSession(t);
    const missing = await session.get(`/t/${tenant.key}/oidc/callback?code=abc`);
    expect(missing.status).toBe(400);
    expect(decode(missing.text)).toMatch(/has no state/);
    expect((await newRefusals()).map((a) => a.details.reason)).toEqual(['state-missing']);

    const stopped = await signInFlow(session, start(), { stopAtCallback: true });
    const forged = stopped.callbackUrl!.replace(/state=[^&]+/, 'state=forged-state-value');
    const res = await session.get(forged);
    expect(res.status).toBe(400);
    expect(decode(res.text)).toMatch(/does not belong to a sign-in started in this browser/);
    expect((await accountOf(session)).signedIn).toBe(false);
    expect((await newRefusals()).map((a) => a.details.reason)).toEqual(['state-mismatch']);
    expect(fake.tokenRequests).toBeGreaterThan(0);
  });

  it('shows what the provider said when it refused, and refuses an oversized answer', async () => {
    fake.authorizeParams = { error: 'access_denied', error_description: 'The user <b>cancelled</b>' };
    await refused({ status: 403, text: /did not sign you in \(access_denied: The user <b>cancelled<\/b>\)/, reason: 'provider-error' });
    const session = new WebSession(t);
    const huge = await session.get(`/t/${tenant.key}/oidc/callback?state=x&code=${'a'.repeat(9000)}`);
    expect(huge.status).toBe(400);
    expect(decode(huge.text)).toMatch(/too large/);
    expect((await newRefusals()).map((a) => a.details.reason)).toEqual(['malformed']);
  });

  it('keeps signing in with the endpoints it had while the discovery document is unreachable', async () => {
    // An hour later discovery is read again; the provider's discovery answers garbage for now.
    t.clock.advance(61 * 60_000);
    fake.discoveryBroken = true;
    try {
      fake.craft = (c) =>
        fake.sign(fake.claims(c, { iat: Math.floor(t.clock.nowMs() / 1000), exp: Math.floor(t.clock.nowMs() / 1000) + 300 }));
      const session = new WebSession(t);
      expect((await signInFlow(session, start())).location).toBe('/account');
    } finally {
      fake.discoveryBroken = false;
    }
  });

  it('refuses a replayed callback and a code carried to another browser', async () => {
    const victim = new WebSession(t);
    const stopped = await signInFlow(victim, start(), { stopAtCallback: true });
    const callback = stopped.callbackUrl!;
    // Another browser (an attacker who got the URL) cannot finish the victim's sign-in.
    const attacker = new WebSession(t);
    const stolen = await attacker.get(callback);
    expect(stolen.status).toBe(400);
    expect((await accountOf(attacker)).signedIn).toBe(false);
    expect((await newRefusals()).map((a) => a.details.reason)).toEqual(['state-mismatch']);
    // The victim's own browser finishes it once; the same answer again is refused.
    expect((await victim.get(callback)).status).toBe(303);
    const again = await victim.get(callback);
    expect(again.status).toBe(400);
    expect(decode(again.text)).toMatch(/already used/);
    expect((await newRefusals()).map((a) => a.details.reason)).toEqual(['state-mismatch']);
  });

  it('refuses an ID token for another audience, and a wrong azp among several audiences', async () => {
    fake.craft = (c) => fake.sign(fake.claims(c, { aud: 'another-client' }));
    await refused({ status: 403, text: /did not pass Portico's checks/, reason: 'audience-mismatch' });
    fake.craft = (c) => fake.sign(fake.claims(c, { aud: [fake.clientId, 'another-client'], azp: 'another-client' }));
    await refused({ status: 403, text: /azp/, reason: 'azp-mismatch' });
    // Several audiences and no azp at all: refused too.
    fake.craft = (c) => fake.sign(fake.claims(c, { aud: [fake.clientId, 'another-client'] }));
    await refused({ status: 403, text: /additional untrusted audiences/, reason: 'audience-mismatch' });
  });

  it('refuses a wrong or missing nonce', async () => {
    fake.craft = (c) => fake.sign(fake.claims(c, { nonce: 'a-nonce-from-another-sign-in' }));
    await refused({ status: 403, text: /nonce/, reason: 'nonce-mismatch' });
    fake.craft = (c) => fake.sign(fake.claims(c, { nonce: undefined }));
    await refused({ status: 403, text: /nonce/, reason: 'nonce-mismatch' });
  });

  it("refuses expired and not-yet-valid tokens beyond the allowed skew, by Portico's clock", async () => {
    fake.craft = (c) => fake.sign(fake.claims(c, { iat: now() - 3600, exp: now() - 600 }));
    await refused({ status: 403, text: /exp/, reason: 'token-time-invalid' });
    fake.craft = (c) => fake.sign(fake.claims(c, { iat: now() + 600, exp: now() + 900 }));
    await refused({ status: 403, text: /iat/, reason: 'token-time-invalid' });
    fake.craft = (c) => fake.sign(fake.claims(c, { nbf: now() + 600 }));
    await refused({ status: 403, text: /nbf/, reason: 'token-time-invalid' });
    // A token valid by the provider's watch is expired by Portico's, which is the one that counts.
    t.clock.advance(60 * 60_000);
    await refused({ status: 403, text: /exp/, reason: 'token-time-invalid' });
  });

  it('refuses a signature by a key that is not in the JWKS, fetching the JWKS again for an unknown kid', async () => {
    fake.craft = (c) => fake.sign(fake.claims(c), { key: fake.otherKey });
    await refused({ status: 403, text: /signature/, reason: 'signature-invalid' });
    // An unknown kid reads the JWKS again, once the copy Portico has is a minute old (no fetch storm).
    t.clock.advance(61_000);
    const before = fake.jwksRequests;
    fake.craft = (c) => fake.sign(fake.claims(c), { key: fake.otherKey, kid: 'rogue-key' });
    await refused({ status: 403, text: /key|kid/, reason: 'signature-invalid' });
    expect(fake.jwksRequests).toBeGreaterThan(before);
  });

  it('accepts a key the provider rotated in: an unknown kid reads the JWKS again', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const next = await generateKeyPair('RS256', { extractable: true });
    fake.extraJwks = [{ ...(await exportJWK(next.publicKey)), kid: 'fake-2', alg: 'RS256', use: 'sig' }];
    fake.craft = (c) => fake.sign(fake.claims(c), { key: next.privateKey, kid: 'fake-2' });
    t.clock.advance(61_000);
    const session = new WebSession(t);
    expect((await signInFlow(session, start())).location).toBe('/account');
    expect((await accountOf(session)).signedIn).toBe(true);
  });

  it('refuses alg none and HS256 keyed with the provider’s public key', async () => {
    fake.craft = (c) => new UnsecuredJWT(fake.claims(c) as never).encode();
    await refused({ status: 403, text: /alg|none/i, reason: 'algorithm-refused' });
    const publicPem = await exportSPKI(createPublicKey({ key: fake.jwk as never, format: 'jwk' }) as never);
    fake.craft = (c) =>
      new SignJWT(fake.claims(c) as never).setProtectedHeader({ alg: 'HS256', kid: 'fake-1' }).sign(new TextEncoder().encode(publicPem));
    await refused({ status: 403, text: /alg|HS256/i, reason: 'algorithm-refused' });
  });

  it('refuses an iss mix-up: the response parameter or the token issuer of another provider', async () => {
    fake.authorizeParams = { iss: 'https://other-provider.example' };
    await refused({ status: 403, text: /iss/, reason: 'issuer-mismatch' });
    fake.authorizeParams = {};
    fake.craft = (c) => fake.sign(fake.claims(c, { iss: 'https://other-provider.example' }));
    await refused({ status: 403, text: /iss/, reason: 'issuer-mismatch' });
  });

  it('refuses to link an existing local account through email_verified: false', async () => {
    await makeUser(t, tenant.auth, { email: 'victim@partner.example' });
    fake.craft = (c) => fake.sign(fake.claims(c, { sub: 'attacker-sub', email: 'victim@partner.example', email_verified: false }));
    await refused({ status: 403, text: /does not say the address is verified/, reason: 'email-unverified' });
  });

  it('refuses an oversized or malformed token, and garbage from the token endpoint', async () => {
    fake.craft = (c) => fake.sign(fake.claims(c, { padding: 'x'.repeat(300_000) }));
    await refused({ status: 403, text: /larger than/, reason: 'response-too-large' });
    fake.craft = () => 'not.a-jwt';
    await refused({ status: 403, text: /did not pass Portico's checks/, reason: 'invalid-response' });
    fake.tokenBody = '<html>Internal hiccup</html>';
    await refused({ status: 403, text: /did not pass Portico's checks/, reason: 'invalid-response' });
    fake.tokenBody = '{"token_type":"Bearer"}';
    await refused({ status: 403, text: /did not pass Portico's checks/, reason: 'invalid-response' });
  });

  it('gives up on a provider that answers too slowly, with a page instead of a hanging request', async () => {
    fake.tokenDelayMs = 7_000;
    await refused({ status: 504, text: /did not answer in time/, reason: 'provider-timeout' });
  }, 20_000);

  it('refuses an issuer whose discovery is garbage when it is configured', async () => {
    const res = await t.http
      .put(`/api/v1/tenants/${tenant.key}/oidc`)
      .set('Authorization', t.admin)
      .send({ issuer: `${fake.issuer}/garbage`, allowPrivateNetwork: true });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^issuer: discovery from .* failed/);
  });
});
