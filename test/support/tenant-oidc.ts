import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { makeTenant, TenantFixture } from './factories';
import { freePort } from './ports';
import type { TestApp } from './test-app';
import { WebSession } from './web-session';

/** A person at the tenant's provider: `sub` and the claims the provider releases for them. */
export interface IdpAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  given_name?: string;
  family_name?: string;
  group_uid?: string;
  group_name?: string;
  group_role?: string;
}

type Stored = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; consumed?: number };

/** oidc-provider's storage for a test: one map per provider, entries gone with it. */
function memoryAdapter(): new (name: string) => object {
  const store = new Map<string, Stored>();
  return class {
    constructor(private readonly name: string) {}
    private key(id: string) {
      return `${this.name}:${id}`;
    }
    async upsert(id: string, payload: Stored) {
      store.set(this.key(id), payload);
    }
    async find(id: string) {
      return store.get(this.key(id));
    }
    async findByUid(uid: string) {
      return [...store.entries()].find(([k, v]) => k.startsWith(`${this.name}:`) && v.uid === uid)?.[1];
    }
    async findByUserCode(code: string) {
      return [...store.entries()].find(([k, v]) => k.startsWith(`${this.name}:`) && v.userCode === code)?.[1];
    }
    async consume(id: string) {
      const found = store.get(this.key(id));
      if (found) found.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, v] of store) if (v.grantId === grantId) store.delete(k);
    }
  };
}

/**
 * A real OpenID provider (panva's oidc-provider) on a free loopback port: the tenant's IdP.
 * Its interaction pages sign in `nextAccount` at once and grant what was asked, so a test drives
 * the whole authorization-code flow over HTTP.
 */
export class TestOidcIdp {
  readonly accounts = new Map<string, IdpAccount>();
  nextAccount: string | null = null;
  private constructor(
    readonly issuer: string,
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly server: Server,
  ) {}

  static async start(
    redirectUris: string[],
    opts: { clientId?: string; authMethod?: string; client?: Record<string, unknown> } = {},
  ): Promise<TestOidcIdp> {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const clientId = opts.clientId ?? 'portico-tenant';
    const clientSecret = 'idp-client-secret-0123456789abcdefghij';
    let self: TestOidcIdp | null = null;
    const signing = await generateKeyPair('RS256', { extractable: true });
    const config: Configuration = {
      adapter: memoryAdapter() as Configuration['adapter'],
      jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }] as never },
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: (opts.authMethod ?? 'client_secret_basic') as 'client_secret_basic',
          ...opts.client,
        },
      ],
      scopes: ['openid', 'email', 'profile', 'groups'],
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['given_name', 'family_name'],
        groups: ['group_uid', 'group_name', 'group_role'],
      },
      findAccount: (_ctx, id) => {
        const account = self?.accounts.get(id);
        return account ? { accountId: id, claims: () => ({ ...account }) } : undefined;
      },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      features: { devInteractions: { enabled: false } },
      cookies: { keys: ['test-idp-cookie-key'] },
      pkce: { required: () => true },
      // Portico, whose JWKS a private_key_jwt client names, listens on loopback in the tests: the
      // provider's own guard against special-use addresses (its dispatcher) is left out here.
      fetch: (url, options) => {
        const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
        return globalThis.fetch(url, rest);
      },
    };
    const provider = new Provider(issuer, config);
    const callback = provider.callback();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/interaction/')) {
        void (async () => {
          const details = await provider.interactionDetails(req, res);
          if (details.prompt.name === 'login') {
            const accountId = self?.nextAccount;
            if (!accountId) {
              res.writeHead(400).end('no account chosen');
              return;
            }
            await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
            return;
          }
          const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
          grant.addOIDCScope(String(details.params.scope));
          await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
        })().catch((err: Error) => {
          res.writeHead(500).end(err.message);
        });
        return;
      }
      callback(req, res);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    self = new TestOidcIdp(issuer, clientId, clientSecret, server);
    return self;
  }

  add(account: IdpAccount): IdpAccount {
    this.accounts.set(account.sub, account);
    return account;
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.closeAllConnections();
      this.server.close(() => r());
    });
  }
}

/** What the browser saw: where it ended up at Portico, and every URL on the way. */
export interface FlowOutcome {
  status: number;
  location: string | null;
  text: string;
  visited: string[];
}

/**
 * A browser going from `start` (a Portico path) through the provider and back: Portico's pages
 * through the session's cookie jar, the provider's over real HTTP with its own cookies. Stops at the
 * first answer from Portico that is not a redirect to the provider (or `stopAtCallback`: at the callback URL).
 */
export async function signInFlow(
  session: WebSession,
  start: string,
  opts: { stopAtCallback?: boolean; providerCookies?: Map<string, string> } = {},
): Promise<FlowOutcome & { callbackUrl: string | null }> {
  const visited: string[] = [];
  const cookies = opts.providerCookies ?? new Map<string, string>();
  const portico = new URL(session.t.baseUrl);
  let url = new URL(start, portico);
  for (let hop = 0; hop < 20; hop++) {
    visited.push(url.toString());
    const atPortico = url.port === portico.port && url.hostname === portico.hostname;
    const publicOrigin = new URL(session.t.config.publicUrl);
    const atPublicUrl = url.origin === publicOrigin.origin;
    if (atPortico || atPublicUrl) {
      if (opts.stopAtCallback && /\/oidc\/callback/.test(url.pathname))
        return { status: 0, location: null, text: '', visited, callbackUrl: url.pathname + url.search };
      const res = await session.get(url.pathname + url.search);
      const location = res.headers.location as string | undefined;
      if ((res.status === 302 || res.status === 303) && location) {
        const next = new URL(location, url);
        if (next.origin !== portico.origin && next.origin !== publicOrigin.origin) {
          url = next;
          continue;
        }
        if (/\/oidc\/(init|callback)/.test(next.pathname)) {
          url = next;
          continue;
        }
      }
      return { status: res.status, location: location ?? null, text: res.text, visited, callbackUrl: null };
    }
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.get('location');
    if (!location) return { status: res.status, location: null, text: await res.text(), visited, callbackUrl: null };
    await res.arrayBuffer();
    url = new URL(location, url);
  }
  throw new Error(`too many redirects: ${visited.join(' → ')}`);
}

/** A tenant with OpenID Connect sign-in on, pointed at `issuer` through the API (the provider is on loopback). */
export async function oidcTenant(
  t: TestApp,
  provider: { issuer: string; clientId: string; clientSecret: string },
  extra: Record<string, unknown> = {},
  tenant?: TenantFixture,
): Promise<{ tenant: TenantFixture; redirectUri: string }> {
  tenant ??= await makeTenant(t);
  await t.http
    .put(`/api/v1/tenants/${tenant.key}/settings`)
    .set('Authorization', t.admin)
    .send({ methods: { password: true, saml: false, ldap: false, external: false, oidc: true } })
    .expect(200);
  const res = await t.http
    .put(`/api/v1/tenants/${tenant.key}/oidc`)
    .set('Authorization', t.admin)
    .send({
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      allowPrivateNetwork: true,
      enabled: true,
      ...extra,
    });
  if (res.status !== 200) throw new Error(`PUT oidc answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { tenant, redirectUri: res.body.redirectUri };
}

/** Whether the browser session is signed in, and its account page. */
export async function accountOf(session: WebSession): Promise<{ signedIn: boolean; text: string }> {
  const res = await session.get('/account');
  return { signedIn: res.status === 200, text: res.text };
}

type TokenCrafter = (ctx: { nonce: string | null; code: string; issuer: string; clientId: string }) => Promise<string> | string;

/**
 * An attacker-controlled provider: discovery, JWKS and a token endpoint that answers with whatever
 * ID token the test crafts (signed with `jose`). Its authorization endpoint sends the browser
 * straight back with a code; `authorizeParams` adds or overrides callback parameters (e.g. `iss`).
 */
export class FakeProvider {
  readonly clientId = 'fake-client';
  readonly clientSecret = 'fake-client-secret-0123456789';
  /** The ID token the token endpoint returns next. */
  craft: TokenCrafter = (c) => this.sign(this.claims(c));
  /** Extra query parameters on the redirect back (RFC 9207 `iss` among them). */
  authorizeParams: Record<string, string> = {};
  /** Waits this long before answering the token endpoint (a slow provider). */
  tokenDelayMs = 0;
  /** Answers the token endpoint with this raw body instead (garbage). */
  tokenBody: string | null = null;
  advertiseIss = true;
  /** Discovery answers garbage (a provider having a bad moment). */
  discoveryBroken = false;
  tokenRequests = 0;
  jwksRequests = 0;
  /** Keys the JWKS publishes besides the provider's own (a rotation). */
  extraJwks: JWK[] = [];
  private lastNonce: string | null = null;
  private constructor(
    readonly issuer: string,
    private readonly server: Server,
    readonly key: CryptoKey,
    readonly jwk: JWK,
    readonly otherKey: CryptoKey,
  ) {}

  static async start(): Promise<FakeProvider> {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const other = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'fake-1', alg: 'RS256', use: 'sig' };
    let self: FakeProvider | null = null;
    const server = createServer((req, res) => {
      void self!.handle(req, res);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    self = new FakeProvider(issuer, server, privateKey, jwk, other.privateKey);
    return self;
  }

  claims(c: { nonce: string | null }, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuer,
      sub: 'fake-sub-1',
      aud: this.clientId,
      iat: now,
      exp: now + 300,
      nonce: c.nonce,
      email: 'mallory@fake.example',
      email_verified: true,
      ...extra,
    };
  }

  async sign(claims: Record<string, unknown>, opts: { key?: CryptoKey; kid?: string; alg?: string } = {}): Promise<string> {
    const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
    return new SignJWT(payload).setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'fake-1' }).sign(opts.key ?? this.key);
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.closeAllConnections();
      this.server.close(() => r());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const json = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration' && this.discoveryBroken) {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
      return;
    }
    if (url.pathname === '/.well-known/openid-configuration')
      return json({
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        ...(this.advertiseIss ? { authorization_response_iss_parameter_supported: true } : {}),
      });
    if (url.pathname === '/jwks') {
      this.jwksRequests++;
      return json({ keys: [this.jwk, ...this.extraJwks] });
    }
    if (url.pathname === '/authorize') {
      this.lastNonce = url.searchParams.get('nonce');
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', `code-${Math.random().toString(36).slice(2)}`);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      if (this.advertiseIss) back.searchParams.set('iss', this.issuer);
      for (const [k, v] of Object.entries(this.authorizeParams)) back.searchParams.set(k, v);
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === '/token') {
      this.tokenRequests++;
      let body = '';
      for await (const chunk of req) body += chunk;
      if (this.tokenDelayMs) await new Promise((r) => setTimeout(r, this.tokenDelayMs).unref());
      if (res.destroyed) return;
      if (this.tokenBody !== null) {
        res.setHeader('content-type', 'application/json');
        res.end(this.tokenBody);
        return;
      }
      const code = new URLSearchParams(body).get('code') ?? '';
      const idToken = await this.craft({ nonce: this.lastNonce, code, issuer: this.issuer, clientId: this.clientId });
      return json({ access_token: 'fake-access-token', token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    res.writeHead(404).end();
  }
}
