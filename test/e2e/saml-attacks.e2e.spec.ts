import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeUser } from '../support/factories';
import { b64, newId, requireXmlsec, ResponseOptions, SHA256, signatureTemplate, TestIdp } from '../support/saml-idp';
import { accountPage, postResponse, samlTenant, SamlTenant, startSignIn, userCount } from '../support/saml-setup';
import { startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';
import { redisForTests } from '../support/redis';

// The replay and request-id caches live in the database, or in Redis when REDIS_URL is set: both are attacked.
function variants(): [string, Record<string, string>][] {
  const out: [string, Record<string, string>][] = databaseKinds().map((k) => [k, {}]);
  const redis = redisForTests('the SAML attacks with the Redis caches');
  if (redis) out.push(['sqlite + redis', { REDIS_URL: redis }]);
  return out;
}
const run = requireXmlsec() ? describe.each(variants()) : describe.skip.each(variants());
const ASSERTION = /<saml:Assertion[\s\S]*<\/saml:Assertion>/;

/**
 * Every attack on the ACS ends without a session and without a new user: the response is signed by
 * xmlsec1 (the test IdP), then altered the way an attacker would.
 */
run('SAML attacks (%s)', (variant, env) => {
  const kind = variant.startsWith('postgres') ? 'postgres' : 'sqlite';
  let t: TestApp;
  let idp: TestIdp;
  let otherIdp: TestIdp;
  let st: SamlTenant;
  let other: SamlTenant;
  let twin: SamlTenant;
  let problems: string[];

  const opts = (requestId: string | null, extra: Partial<ResponseOptions> = {}): ResponseOptions => ({
    acsUrl: st.acsUrl,
    spEntityId: st.spEntityId,
    idpEntityId: idp.entityId,
    nameId: 'uid-mallory',
    inResponseTo: requestId,
    attributes: { email: 'mallory@acme.example' },
    ...extra,
  });
  const signed = (requestId: string | null, extra: Partial<ResponseOptions> = {}) => idp.signedXml(opts(requestId, extra)).xml;

  beforeAll(async () => {
    idp = new TestIdp();
    otherIdp = new TestIdp();
    t = await startTestApp(kind, env);
    problems = watchResponses(t);
    st = await samlTenant(t, idp);
    other = await samlTenant(t, otherIdp);
    // A second tenant that trusts the very same IdP (entity id and certificate).
    twin = await samlTenant(t, idp);
    await makeUser(t, st.tenant.auth, { email: 'victim@acme.example' });
  });
  afterAll(async () => {
    await t?.close();
    idp?.close();
    otherIdp?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  /** Posts what `build` makes for a fresh sign-in and checks that nobody got in and nothing was made. */
  async function expectRefused(build: (requestId: string) => string, expected: RegExp, target: SamlTenant = st): Promise<void> {
    const session = new WebSession(t);
    const requestId = await startSignIn(session, target.tenant.key);
    const users = await userCount(t, target.tenant.key);
    const res = await postResponse(session, target.tenant.key, build(requestId));
    expect([400, 403]).toContain(res.status);
    expect(decode(res.text)).toMatch(expected);
    const page = await accountPage(session);
    expect(page.signedIn).toBe(false);
    expect(await userCount(t, target.tenant.key)).toBe(users);
  }

  it('accepts the untouched response (the baseline every attack alters)', async () => {
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    const res = await postResponse(session, st.tenant.key, b64(signed(requestId)));
    expect(res.status).toBe(303);
    expect((await accountPage(session)).signedIn).toBe(true);
  });

  it('refuses a tampered NameID', () =>
    expectRefused((id) => b64(signed(id, { nameId: 'uid-eve' }).replace('>uid-eve<', '>uid-mallory<')), /signature/i));

  it('refuses a second, unsigned assertion next to the signed one', () =>
    expectRefused((id) => {
      const xml = signed(id);
      const evil = ASSERTION.exec(signed(id, { sign: 'none', nameId: 'uid-victim', assertionId: newId() }))![0];
      return b64(xml.replace('<samlp:Status>', `${evil}<samlp:Status>`));
    }, /exactly one assertion/));

  it('refuses the signed assertion moved into Extensions behind a forged one with its ID', () =>
    expectRefused((id) => {
      const xml = signed(id);
      const original = ASSERTION.exec(xml)![0];
      const originalId = /ID="([^"]+)"/.exec(original)![1];
      const forged = ASSERTION.exec(
        signed(id, { sign: 'none', nameId: 'uid-victim', attributes: { email: 'victim@acme.example' }, assertionId: originalId }),
      )![0];
      return b64(xml.replace(original, forged).replace('<samlp:Status>', `<samlp:Extensions>${original}</samlp:Extensions><samlp:Status>`));
    }, /exactly one assertion|share one ID/));

  it('refuses the signed assertion moved into the Advice of a forged one', () =>
    expectRefused((id) => {
      const xml = signed(id);
      const original = ASSERTION.exec(xml)![0];
      const forged = ASSERTION.exec(signed(id, { sign: 'none', nameId: 'uid-victim', attributes: { email: 'victim@acme.example' } }))![0];
      const withAdvice = forged.replace('<saml:Conditions', `<saml:Advice>${original}</saml:Advice><saml:Conditions`);
      return b64(xml.replace(original, withAdvice));
    }, /exactly one assertion/));

  it('refuses a signature with two references', () =>
    expectRefused((id) => {
      const { xml, responseId, assertionId } = idp.responseXml(opts(id, { sign: 'none' }));
      const template = signatureTemplate(assertionId, SHA256, [responseId]);
      const withTemplate = xml.replace(/(<saml:Assertion [^>]*><saml:Issuer>[^<]*<\/saml:Issuer>)/, `$1${template}`);
      return b64(idp.sign(withTemplate));
    }, /exactly one reference/));

  it('refuses a comment inside the NameID (signature still valid, text truncated by naive parsers)', () =>
    expectRefused(
      (id) =>
        b64(
          signed(id, { nameId: 'victim@acme.example.evil.test', attributes: {} }).replace(
            '>victim@acme.example.evil.test<',
            '>victim@acme.example<!---->.evil.test<',
          ),
        ),
      /comment/,
    ));

  it('refuses an unsigned response', () => expectRefused((id) => b64(signed(id, { sign: 'none' })), /not signed/));

  it('refuses an expired assertion', () => expectRefused((id) => b64(signed(id, { notBefore: -900, notOnOrAfter: -600 })), /expired/i));

  it('refuses an assertion that is not valid yet', () =>
    expectRefused((id) => b64(signed(id, { notBefore: 600, notOnOrAfter: 900 })), /not yet valid/i));

  it('refuses a wrong audience', () =>
    expectRefused((id) => b64(signed(id, { audience: 'https://other-sp.example/metadata' })), /audience/i));

  it('refuses a wrong recipient', () => expectRefused((id) => b64(signed(id, { recipient: 'https://other-sp.example/acs' })), /Recipient/));

  it('refuses a wrong or missing destination', async () => {
    await expectRefused((id) => b64(signed(id, { destination: 'https://other-sp.example/acs' })), /Destination/);
    await expectRefused((id) => b64(signed(id, { destination: null })), /Destination/);
  });

  it('refuses a wrong issuer, on the assertion and on the response', async () => {
    await expectRefused((id) => b64(signed(id, { issuer: 'https://evil-idp.example/idp', responseIssuer: idp.entityId })), /Issuer/);
    await expectRefused((id) => b64(signed(id, { responseIssuer: 'https://evil-idp.example/idp' })), /Issuer/);
  });

  it('refuses a replayed assertion, even in another browser', async () => {
    const first = new WebSession(t);
    const requestId = await startSignIn(first, st.tenant.key);
    const response = b64(signed(requestId, { nameId: 'uid-replay', attributes: { email: 'replay@acme.example' } }));
    expect((await postResponse(first, st.tenant.key, response)).status).toBe(303);
    await expectRefused(() => response, /already used/);
  });

  it('refuses a request id answered twice, and one Portico never sent', async () => {
    const first = new WebSession(t);
    const requestId = await startSignIn(first, st.tenant.key);
    expect((await postResponse(first, st.tenant.key, b64(signed(requestId)))).status).toBe(303);
    await expectRefused(() => b64(signed(requestId)), /answers no sign-in this tenant started/);
    await expectRefused(() => b64(signed(newId())), /answers no sign-in this tenant started/);
  });

  it('refuses a response without InResponseTo for an SP-initiated-only tenant', () =>
    expectRefused(() => b64(signed(null)), /does not accept IdP-initiated/));

  it('refuses SHA-1 signatures and SHA-1 digests', async () => {
    await expectRefused((id) => b64(signed(id, { algorithm: 'sha1' })), /rsa-sha1 is refused: use RSA-SHA256 or stronger/);
    await expectRefused((id) => b64(signed(id, { algorithm: 'sha1Digest' })), /xmldsig#sha1 is refused: use SHA-256 or stronger/);
  });

  it("refuses a response signed with another tenant's IdP certificate", () =>
    expectRefused((id) => b64(otherIdp.signedXml({ ...opts(id), keys: otherIdp.keys }).xml), /signature/i));

  it("never lets tenant A's response sign anyone into tenant B, even when both trust the same IdP", async () => {
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    const forA = b64(signed(requestId));
    await expectRefused(() => forA, /Destination|audience|Recipient/, twin);
    await expectRefused(() => forA, /Destination|signature/i, other);
    // Made out for B's URLs but answering A's request id: B never sent it.
    await expectRefused(
      () => b64(idp.signedXml({ ...opts(requestId), acsUrl: twin.acsUrl, spEntityId: twin.spEntityId }).xml),
      /answers no sign-in this tenant started/,
      twin,
    );
  });

  it('refuses a DOCTYPE, and junk that is not a SAML response, without a server error', async () => {
    await expectRefused(
      (id) => b64(signed(id).replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>')),
      /DOCTYPE/,
    );
    await expectRefused(() => b64('<html>hello</html>'), /not a SAML Response/);
    await expectRefused(() => b64('not xml at all <'), /not well-formed/);
    await expectRefused(() => '%%%not-base64%%%', /SAMLResponse is missing or is not base64/);
  });
});
