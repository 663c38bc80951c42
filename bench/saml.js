'use strict';
// `npm run bench:saml`: builds, then measures SAML sign-ins per second through POST /t/{key}/saml/consume
// on the built server (SQLite), beside raw validation of the same kind of document by node-saml in this
// same run (signature, conditions, audience: the library's share of the ACS).
//
// Every request carries a fresh assertion (the replay cache refuses a repeat), so responses are signed
// beforehand with xmlsec1, the same independent signer the tests use. The bench tenant accepts
// IdP-initiated sign-in, so no AuthnRequest round trip is needed. Everything runs on 127.0.0.1.
// BENCH_RESPONSES (count), BENCH_DURATION (seconds of raw validation) and BENCH_CONCURRENCY change the load.
const { execFile, execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { performance } = require('node:perf_hooks');
const { URLSearchParams } = require('node:url');
const { SAML, ValidateInResponseTo } = require('@node-saml/node-saml');
const {
  ADMIN_TOKEN,
  SERVER_MAIN,
  expectStatus,
  makeTempDir,
  percentile,
  request: requestOn,
  runMain,
  serverEnv,
  sqliteUrl,
  startServer,
  stop,
} = require('./support');

const XMLSEC1 = '/usr/bin/xmlsec1';
const CORES = os.availableParallelism();
const RESPONSES = Number(process.env.BENCH_RESPONSES ?? 1500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? Math.max(4, CORES * 2));
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const USERS = 50;
const TENANT = 'bench-saml';
const IDP = 'https://idp.bench.example/idp';
const run = promisify(execFile);
let server = null;
let dir = null;

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:saml` (it builds first)');
  if (!existsSync(XMLSEC1)) throw new Error(`${XMLSEC1} is missing (apt-get install xmlsec1)`);
  console.log(`Portico SAML ACS benchmark — node ${process.version}, ${CORES} × ${os.cpus()[0]?.model ?? 'CPU'}`);
  console.log(`${RESPONSES} pre-signed responses, ${CONCURRENCY} in flight, SQLite, NODE_ENV=production, LOG_LEVEL=warn\n`);
  dir = makeTempDir('portico-bench-saml-');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', 'idp.key', '-out', 'idp.crt', '-subj', '/CN=bench IdP'],
    {
      cwd: dir,
      stdio: 'pipe',
    },
  );
  const cert = readFileSync(path.join(dir, 'idp.crt'), 'utf8');

  // PUBLIC_URL: the ACS URL in the responses must be the one the server checks them against.
  server = await startServer((port) => ({ ...serverEnv(sqliteUrl(dir)), PUBLIC_URL: `http://127.0.0.1:${port}` }));
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  await expectStatus(request('POST', '/api/v1/tenants', JSON.stringify({ key: TENANT, name: 'Bench SAML' }), admin), 201);
  await expectStatus(
    request(
      'PUT',
      `/api/v1/tenants/${TENANT}/settings`,
      JSON.stringify({ methods: { password: true, saml: true, ldap: false, external: false } }),
      admin,
    ),
    200,
  );
  const conn = JSON.parse(
    (
      await expectStatus(
        request(
          'PUT',
          `/api/v1/tenants/${TENANT}/saml`,
          JSON.stringify({
            idpEntityId: IDP,
            idpSsoUrl: 'https://idp.bench.example/sso',
            idpCertificates: [cert],
            enabled: true,
            allowIdpInitiated: true,
          }),
          admin,
        ),
        200,
      )
    ).body,
  );

  let started = Date.now();
  const responses = await presign(conn, RESPONSES);
  const signSeconds = (Date.now() - started) / 1000;
  console.log(`xmlsec1 signed ${responses.length} responses in ${signSeconds.toFixed(1)} s (${CORES} processes at a time)`);

  // Raw node-saml validation of one of these documents, with the server idle.
  const saml = new SAML({
    issuer: conn.spEntityId,
    callbackUrl: conn.acsUrl,
    audience: conn.spEntityId,
    idpCert: [cert],
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: 120_000,
  });
  const sample = responses[0];
  let raw = 0;
  started = Date.now();
  while (Date.now() - started < DURATION_S * 1000) {
    await saml.validatePostResponseAsync({ SAMLResponse: sample });
    raw++;
  }
  const rawSeconds = (Date.now() - started) / 1000;

  // One warm-up sign-in, then every other response through the ACS.
  await expectStatus(consume(responses[0]), 303);
  const queue = responses.slice(1);
  const latencies = [];
  let ok = 0;
  let other = 0;
  started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const t0 = performance.now();
        const res = await consume(next);
        latencies.push(performance.now() - t0);
        if (res.status === 303 && res.headers.location === '/account') ok++;
        else other++;
      }
    }),
  );
  const acsSeconds = (Date.now() - started) / 1000;
  await stop(server.child);

  const acsRate = ok / acsSeconds;
  const rawRate = raw / rawSeconds;
  console.log(`raw node-saml validatePostResponseAsync: ${raw} in ${rawSeconds.toFixed(1)} s`);
  console.log(
    `POST /t/${TENANT}/saml/consume: ${ok} signed in (303 → /account), ${other} other answers, in ${acsSeconds.toFixed(1)} s; latency p50 ${percentile(latencies, 50, '—')} ms, p99 ${percentile(latencies, 99, '—')} ms\n`,
  );
  console.log('| measure | per second |');
  console.log('|---|---|');
  console.log(`| raw signature + conditions validation (node-saml, one core) | ${rawRate.toFixed(0)} |`);
  console.log(`| ACS sign-ins (Portico checks, provisioning lookups, replay cache, audit, session) | ${acsRate.toFixed(0)} |`);
  console.log(`| ACS / raw | ${(acsRate / rawRate).toFixed(2)} |`);
  if (other) process.exitCode = 1;
}

async function presign(conn, count) {
  const template = (assertionId, responseId, user) => {
    const now = new Date();
    const iso = (s) => new Date(now.getTime() + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sig = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#${assertionId}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`;
    return (
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${iso(0)}" Destination="${conn.acsUrl}">` +
      `<saml:Issuer>${IDP}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${iso(0)}"><saml:Issuer>${IDP}</saml:Issuer>${sig}` +
      `<saml:Subject><saml:NameID>bench-${user}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(900)}" Recipient="${conn.acsUrl}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(-60)}" NotOnOrAfter="${iso(900)}"><saml:AudienceRestriction><saml:Audience>${conn.spEntityId}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>bench-${user}@saml.example</saml:AttributeValue></saml:Attribute><saml:Attribute Name="group_uid"><saml:AttributeValue>bench-group-${user % 5}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
      `</saml:Assertion></samlp:Response>`
    );
  };
  const out = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: CORES }, async () => {
      while (next < count) {
        const i = next++;
        const file = path.join(dir, `r${i}.xml`);
        writeFileSync(file, template(`_a${randomBytes(16).toString('hex')}`, `_r${randomBytes(16).toString('hex')}`, i % USERS));
        const { stdout } = await run(XMLSEC1, [
          '--sign',
          '--privkey-pem',
          `${path.join(dir, 'idp.key')},${path.join(dir, 'idp.crt')}`,
          '--id-attr:ID',
          'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
          file,
        ]);
        out[i] = Buffer.from(stdout).toString('base64');
      }
    }),
  );
  return out;
}

function consume(samlResponse) {
  const body = new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '/account' }).toString();
  return request('POST', `/t/${TENANT}/saml/consume`, body, { 'content-type': 'application/x-www-form-urlencoded' });
}

/** The server started by main(): the bench talks to no other. */
function request(method, urlPath, body, headers = {}) {
  return requestOn(server.port, method, urlPath, body, headers);
}

runMain(main);
