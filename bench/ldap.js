'use strict';
// `npm run bench:ldap`: builds, then measures LDAP sign-ins per second through POST /t/{tenant}/login
// on the built server (SQLite) against a local OpenLDAP slapd over LDAPS, beside the raw rate of the
// same directory exchange done directly (connect + TLS, service bind, search, bind as the user) with
// Portico's own client, and that exchange over plain ldap:// to show what TLS costs.
//
// slapd is started the way the tests start it (test/support/slapd.ts: temporary directory, mdb,
// TLS from a CA made for the run, 127.0.0.1 only) and stopped at the end. Each sign-in is what a
// browser does: GET the sign-in page (session + CSRF token), then POST it; only the POST is timed.
// BENCH_DURATION / BENCH_WARMUP (seconds) and BENCH_CONCURRENCY change the load.
const { existsSync, readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  ADMIN_TOKEN,
  ROOT,
  SERVER_MAIN,
  closedLoop,
  cpuSeconds,
  expectStatus,
  makeTempDir,
  atExit,
  passwordSignIn,
  percentile,
  printTable,
  request,
  runMain,
  serverEnv,
  signedIn,
  sqliteUrl,
  startServer,
  stop,
  warnIfBusy,
} = require('./support');

const CLIENT = path.join(ROOT, 'dist/libs/sso/src/ldap/client/directory-client.js');
const PRESETS = path.join(ROOT, 'dist/libs/sso/src/ldap/config/presets.js');
const CORES = os.availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? Math.max(4, CORES * 2));
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 2);
const USERS = 40;
const PASSWORD = 'Bench-Directory-64-ridge';
const TENANT = 'bench-ldap';

let server = null;

/**
 * test/support/slapd.ts (node built-ins only, and test-pki.ts, which it imports), compiled in memory
 * as Node loads them: the benchmark runs the tests' own harness.
 */
function loadSlapdHarness() {
  const ts = require('typescript');
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  require.extensions['.ts'] = (m, filename) =>
    m._compile(ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions }).outputText, filename);
  return require(path.join(ROOT, 'test/support/slapd.ts'));
}

async function main() {
  for (const f of [SERVER_MAIN, CLIENT])
    if (!existsSync(f)) throw new Error('dist/ is missing: run `npm run bench:ldap` (it builds first)');
  const harness = loadSlapdHarness();
  if (!harness.slapdPresent('bench:ldap')) return;
  const cpus = os.cpus();
  console.log(`Portico LDAP benchmark — node ${process.version}, ${CORES} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(
    `${CONCURRENCY} exchanges in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per load, SQLite, NODE_ENV=production, LOG_LEVEL=warn, OpenLDAP ${slapdVersion()} on 127.0.0.1, load generator in this process`,
  );
  warnIfBusy();
  console.log('');

  const users = Array.from({ length: USERS }, (_, i) => ({
    uid: `bench${i}`,
    password: PASSWORD,
    givenName: 'Bench',
    sn: `User ${i}`,
    mail: `bench${i}@directory.example`,
  }));
  const staff = { cn: 'staff', members: users.map((u) => harness.userDn(u)) };
  const slapd = await harness.Slapd.start({ users, groups: [staff], statsLog: false });
  atExit(() => slapd.stop());
  const settings = (url, tls) => ({
    url,
    bindDn: harness.SERVICE_DN,
    bindPassword: slapd.servicePassword,
    searchBase: `ou=people,${harness.SUFFIX}`,
    searchFilter: require(PRESETS).PRESET_DEFAULTS.openldap.searchFilter,
    startTls: false,
    caCertificate: tls ? slapd.pki.ca : null,
    attributeMapping: require(PRESETS).PRESET_DEFAULTS.openldap.attributeMapping,
    groupSearchBase: null,
    groupSearchFilter: require(PRESETS).PRESET_DEFAULTS.openldap.groupSearchFilter,
    groupRoleMapping: { [harness.groupDn(staff)]: 'member' },
    timeoutMs: 5000,
  });

  // Raw exchanges first, with the server not yet started.
  const { DirectoryClient } = require(CLIENT);
  const client = new DirectoryClient();
  const ldaps = settings(slapd.ldapsUrl, true);
  const plain = settings(slapd.ldapUrl, false);
  await rawLoop(client, ldaps, users, WARMUP_S);
  const raw = await rawLoop(client, ldaps, users, DURATION_S, true);
  await rawLoop(client, plain, users, WARMUP_S);
  const rawPlain = await rawLoop(client, plain, users, DURATION_S, true);

  server = await startServer(serverEnv(sqliteUrl(makeTempDir('portico-bench-ldap-'))));
  await configure(server.port, ldaps);
  // Every user signs in once (JIT: the account, the links, the membership), then the measured sign-ins reuse them.
  for (const u of users) {
    const { res } = await signIn(server.port, u.uid);
    if (res.status !== 303) throw new Error(`the first sign-in of ${u.uid} answered ${res.status}: ${res.body.slice(0, 300)}`);
  }
  await loginLoop(server.port, users, WARMUP_S);
  const before = { server: cpuSeconds(server.child.pid), slapd: cpuSeconds(slapd.pid) };
  const measured = await loginLoop(server.port, users, DURATION_S);
  const serverCpu = cpuSeconds(server.child.pid) - before.server;
  const slapdCpu = cpuSeconds(slapd.pid) - before.slapd;
  await stop(server.child);

  const rate = (r) => r.ok / r.seconds;
  console.log(
    `raw exchange over LDAPS: ${raw.ok} in ${raw.seconds.toFixed(1)} s, p50 ${percentile(raw.latencies, 50)} ms, p99 ${percentile(raw.latencies, 99)} ms`,
  );
  console.log(
    `raw exchange over plain ldap://: ${rawPlain.ok} in ${rawPlain.seconds.toFixed(1)} s, p50 ${percentile(rawPlain.latencies, 50)} ms, p99 ${percentile(rawPlain.latencies, 99)} ms`,
  );
  console.log(
    `POST /t/${TENANT}/login: ${measured.ok} signed in (303 → /account), ${measured.failed} other answers, in ${measured.seconds.toFixed(1)} s; p50 ${percentile(measured.latencies, 50)} ms, p99 ${percentile(measured.latencies, 99)} ms`,
  );
  console.log(
    `CPU during the measured sign-ins: server ${(serverCpu / measured.seconds).toFixed(2)} cores (${((serverCpu / Math.max(1, measured.ok)) * 1000).toFixed(1)} ms per sign-in), slapd ${(slapdCpu / measured.seconds).toFixed(2)} cores`,
  );
  console.log('');
  printTable(
    ['measure', 'per second', 'share of raw LDAPS'],
    [
      [
        'raw exchange, plain ldap:// (bind + search + bind + groups)',
        rate(rawPlain).toFixed(1),
        `${((rate(rawPlain) / rate(raw)) * 100).toFixed(0)} %`,
      ],
      ['raw exchange, LDAPS (the same, over TLS)', rate(raw).toFixed(1), '100 %'],
      ['LDAP sign-ins through Portico (LDAPS)', rate(measured).toFixed(1), `${((rate(measured) / rate(raw)) * 100).toFixed(0)} %`],
    ],
  );
  if (measured.failed > 0)
    console.log(`\nNOTE: ${measured.failed} sign-ins did not end in 303 → /account (first: ${measured.firstFailure})`);
}

// ---------------------------------------------------------------------------------------------
// The loads

/** `CONCURRENCY` workers doing what one sign-in asks of the directory, with Portico's client, directly. */
function rawLoop(client, settings, users, seconds, timed = false) {
  let next = 0;
  return closedLoop(CONCURRENCY, seconds, async () => {
    const user = users[next++ % users.length];
    const t0 = process.hrtime.bigint();
    const groups = await client.run(settings, async (session) => {
      const entry = await session.findUser(user.uid);
      if (!entry || !(await session.checkPassword(entry.dn, PASSWORD))) throw new Error(`${user.uid} was refused`);
      return session.groupsOf(entry);
    });
    if (!groups.length) throw new Error(`${user.uid} has no groups`);
    return { ok: true, ms: timed ? Number(process.hrtime.bigint() - t0) / 1e6 : null };
  });
}

/** `CONCURRENCY` browsers signing in over and over, round-robin over the users. */
function loginLoop(port, users, seconds) {
  let next = 0;
  return closedLoop(CONCURRENCY, seconds, async () => {
    const { res, ms } = await signIn(port, users[next++ % users.length].uid);
    return signedIn(res) ? { ok: true, ms } : { ok: false, ms, why: `${res.status} ${res.body.slice(0, 200)}` };
  });
}

function signIn(port, login) {
  return passwordSignIn(port, `/t/${TENANT}/login`, login, PASSWORD);
}

// ---------------------------------------------------------------------------------------------
// Server and fixture

/** A tenant with LDAP on, its directory over LDAPS with JIT and one mapped group, and an organization for that group. */
async function configure(port, directory) {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const call = (method, urlPath, body, status) => expectStatus(request(port, method, urlPath, JSON.stringify(body), admin), status);
  await call(
    'PUT',
    '/api/v1/settings/authentication',
    { methods: { password: true, saml: false, ldap: true, external: false }, lockout: { maxPasswordFailures: 100 } },
    200,
  );
  await call('POST', '/api/v1/tenants', { key: TENANT, name: 'LDAP bench' }, 201);
  await call('POST', '/api/v1/organizations', { name: 'Staff', tenantKey: TENANT, externalUid: 'staff' }, 201);
  const { groupRoleMapping, url, bindDn, bindPassword, searchBase, caCertificate } = directory;
  await call(
    'POST',
    '/api/v1/ldap-directories',
    {
      tenantKey: TENANT,
      name: 'Bench directory',
      url,
      bindDn,
      bindPassword,
      searchBase,
      caCertificate,
      groupRoleMapping,
      jitProvisioning: true,
    },
    201,
  );
}

// ---------------------------------------------------------------------------------------------
// Helpers

function slapdVersion() {
  // slapd -VV prints its version on stderr.
  const { stdout, stderr } = require('node:child_process').spawnSync('/usr/sbin/slapd', ['-VV'], { encoding: 'utf8' });
  return /slapd ([\d.]+)/.exec(`${stdout}${stderr}`)?.[1] ?? '?';
}

runMain(main, {
  onError: (err) => {
    console.error(err);
    if (server) console.error(`server output (last lines):\n${server.child.output()}`);
  },
});
