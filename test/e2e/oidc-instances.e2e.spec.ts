import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { OidcRepository } from '../../libs/oidc/src/oidc.repository';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser } from '../support/factories';
import { authorizationRequest, browse, relyingParty, startOidcApp } from '../support/oidc-rp';
import { dropJobsPrefix, redisForTests, uniqueJobsPrefix } from '../support/redis';
import { startSecondInstance, type TestApp } from '../support/test-app';
import { WebSession } from '../support/web-session';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const PASSWORD = 'a long enough password 42';

type Instance = TestApp & { issuer: string };

/**
 * The relying party of `config` calling the other instance: the same issuer, its endpoints at
 * `baseUrl` (as if the load balancer had sent the request there).
 */
function calling(config: oidc.Configuration, from: string, baseUrl: string, clientSecret: string): oidc.Configuration {
  const moved = Object.fromEntries(
    Object.entries(config.serverMetadata()).map(([key, value]) => [
      key,
      key !== 'issuer' && typeof value === 'string' && value.startsWith(from) ? baseUrl + value.slice(from.length) : value,
    ]),
  ) as oidc.ServerMetadata;
  const other = new oidc.Configuration(moved, config.clientMetadata().client_id, clientSecret);
  oidc.allowInsecureRequests(other);
  return other;
}

// Several instances need PostgreSQL (README), and a key rotation reaches the other instance through
// Redis pub/sub (without it, within the provider's periodic re-read of the key set).
const kinds = databaseKinds().filter((k) => k === 'postgres');
if (!kinds.length) process.stderr.write('\n  [skipped] OpenID Connect provider on two instances: set TEST_DATABASE_URL to run it\n');

/**
 * Two server instances on one PostgreSQL database and one Redis, both with the same issuer: what
 * one issues the other honours, single-use artefacts are honoured once across them, and both
 * publish the same keys, before and after a rotation.
 */
describe.each(kinds.length ? kinds : ['postgres' as const])('OpenID Connect provider on two instances (%s)', (kind) => {
  // Without PostgreSQL (and so without CI=true) this says so above and has nothing to run.
  if (!kinds.length) return void it('needs PostgreSQL', () => undefined);
  const redisUrl = redisForTests('the OpenID Connect two-instance suite (key rotation across instances)');
  if (!redisUrl) return void it('needs Redis', () => undefined);
  const jobsPrefix = uniqueJobsPrefix();
  const env = { REDIS_URL: redisUrl, JOBS_PREFIX: jobsPrefix };
  let one: Instance;
  let two: Instance;
  let tenant: Awaited<ReturnType<typeof makeTenant>>;
  let user: { id: string; email: string };
  let clientId: string;
  let clientSecret: string;
  let atOne: oidc.Configuration;
  let atTwo: oidc.Configuration;

  /** A person signs in through `instance`'s pages and comes back with a code, redeemed at `redeemAt`. */
  async function signIn(instance: Instance, redeemAt: oidc.Configuration, params: Record<string, string> = {}) {
    const req = await authorizationRequest(instance === one ? atOne : atTwo, REDIRECT, params);
    const outcome = await browse(new WebSession(instance), req.url.toString(), REDIRECT, { login: user.email, password: PASSWORD });
    expect(outcome.callback?.searchParams.get('code')).toEqual(expect.any(String));
    return oidc.authorizationCodeGrant(redeemAt, outcome.callback!, { pkceCodeVerifier: req.verifier, expectedState: req.state });
  }

  beforeAll(async () => {
    one = await startOidcApp(kind, env);
    two = await startSecondInstance(one, env);
    tenant = await makeTenant(one);
    user = await makeUser(one, tenant.auth, { password: PASSWORD });
    const created = await one.http
      .post('/api/v1/oidc/clients')
      .set('Authorization', one.admin)
      .send({ name: 'App', tenantKey: tenant.key, firstParty: true, redirectUris: [REDIRECT] })
      .expect(201);
    ({ clientId, clientSecret } = created.body);
    atOne = await relyingParty(one.issuer, clientId, clientSecret);
    atTwo = calling(atOne, one.baseUrl, two.baseUrl, clientSecret);
  }, 60_000);
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await dropJobsPrefix(redisUrl, jobsPrefix);
  });
  afterEach(() => jest.restoreAllMocks());

  it('publishes one issuer on both, and redeems at each instance a code issued by the other', async () => {
    const discovered = await two.http.get('/oidc/.well-known/openid-configuration').expect(200);
    expect(discovered.body.issuer).toBe(one.issuer);

    const fromOne = await signIn(one, atTwo);
    expect(fromOne.claims()!.sub).toBe(user.id);
    // The access token made by the second instance works at the first.
    expect((await oidc.fetchUserInfo(atOne, fromOne.access_token, user.id)).sub).toBe(user.id);

    const fromTwo = await signIn(two, atOne);
    expect(fromTwo.claims()!.sub).toBe(user.id);
    expect((await oidc.fetchUserInfo(atTwo, fromTwo.access_token, user.id)).sub).toBe(user.id);
  });

  it('honours a refresh token presented at both instances at once exactly once: the other gets invalid_grant', async () => {
    const tokens = await signIn(one, atOne, { scope: 'openid offline_access', prompt: 'consent' });
    // Both requests are held just before they mark the token used, so they truly race in the
    // database (each instance has its own connections): its conditional update decides.
    let arrived = 0;
    let release!: () => void;
    const bothThere = new Promise<void>((resolve) => (release = resolve));
    for (const instance of [one, two]) {
      const repo = instance.app.get(OidcRepository);
      const consume = repo.consume.bind(repo);
      jest.spyOn(repo, 'consume').mockImplementation(async (model, id, now) => {
        if (model === 'RefreshToken') {
          if (++arrived === 2) release();
          await bothThere;
        }
        return consume(model, id, now);
      });
    }
    const results = await Promise.all(
      [atOne, atTwo].map((rp) =>
        oidc.refreshTokenGrant(rp, tokens.refresh_token!).then(
          (refreshed) => ({ ok: true as const, refreshed }),
          (err: { error?: string }) => ({ ok: false as const, error: err.error }),
        ),
      ),
    );
    expect(arrived).toBe(2);
    const won = results.filter((r) => r.ok);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(['invalid_grant']);
    jest.restoreAllMocks();

    // The application that won stays signed in: its new refresh token works, at either instance.
    const winner = won[0].ok ? won[0].refreshed : null;
    const next = await oidc.refreshTokenGrant(atTwo, winner!.refresh_token!);
    expect(next.access_token).toEqual(expect.any(String));
    // The token that lost the race is used: presented again, it is refused.
    await expect(oidc.refreshTokenGrant(atOne, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('serves the same JWKS on both, and after a rotation through one the other publishes and signs with the new key', async () => {
    const jwksOf = async (t: Instance) =>
      ((await t.http.get('/oidc/jwks').expect(200)).body.keys as { kid: string }[]).map((k) => k.kid).sort();
    expect(await jwksOf(two)).toEqual(await jwksOf(one));
    const before = await signIn(two, atTwo);

    const rotated = await one.http.post('/api/v1/oidc/keys/rotate').set('Authorization', one.admin).expect(200);
    const newRs256 = (rotated.body as { kid: string; alg: string; signing: boolean }[]).find((k) => k.alg === 'RS256' && k.signing)!.kid;
    const expected = (rotated.body as { kid: string }[]).map((k) => k.kid).sort();
    expect(await jwksOf(one)).toEqual(expected);
    // The rotation is announced over Redis; the other instance rebuilds its provider when it hears it.
    for (let i = 0; i < 200 && (await jwksOf(two)).join() !== expected.join(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await jwksOf(two)).toEqual(expected);

    // The other instance now signs with the new key, and the token signed before still verifies.
    const after = await signIn(two, atOne);
    expect(decodeProtectedHeader(after.id_token!).kid).toBe(newRs256);
    for (const t of [one, two]) {
      const keys = createRemoteJWKSet(new URL(`${t.baseUrl}/oidc/jwks`));
      for (const token of [before.id_token!, after.id_token!]) {
        const { payload } = await jwtVerify(token, keys, { issuer: one.issuer, audience: clientId });
        expect(payload.sub).toBe(user.id);
      }
    }
  });
});
