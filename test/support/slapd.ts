import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { issue, newCa } from './test-pki';

// slapd's TLS is tested with RSA keys.
const RSA = ['rsa:2048'];

// Only node built-ins here: bench/ldap.js loads this file too.

export const SLAPD = '/usr/sbin/slapd';
export const LDAPADD = '/usr/bin/ldapadd';
export const LDAPMODIFY = '/usr/bin/ldapmodify';
const SCHEMAS = ['core', 'cosine', 'inetorgperson'].map((s) => `/etc/ldap/schema/${s}.schema`);
const MODULE_PATH = '/usr/lib/ldap';

/**
 * Whether this suite can run against a real slapd. Under CI=true a missing slapd fails the suite;
 * elsewhere it says loudly that it skipped.
 */
export function slapdPresent(suite: string): boolean {
  const missing = [SLAPD, LDAPADD, LDAPMODIFY, ...SCHEMAS].filter((f) => !existsSync(f));
  if (!missing.length) return true;
  if (process.env.CI === 'true')
    throw new Error(`${suite}: OpenLDAP is missing (${missing.join(', ')}); CI=true requires it (apt-get install slapd ldap-utils)`);
  process.stderr.write(`\n  [skipped] ${suite}: no OpenLDAP (${missing.join(', ')}); apt-get install slapd ldap-utils to run it\n\n`);
  return false;
}

/** PEM material made by the openssl command line for one run: nothing is checked in. */
export interface SlapdPki {
  /** The CA that signed the server's certificate. */
  ca: string;
  /** Another CA, which must not be accepted for this server. */
  otherCa: string;
  serverCert: string;
  serverKey: string;
}

export interface DirectoryUser {
  uid: string;
  password: string;
  givenName?: string;
  sn?: string;
  mail?: string | null;
  /** Under which ou (default people). */
  ou?: string;
}

export interface DirectoryGroup {
  cn: string;
  members: string[];
  ou?: string;
}

export const SUFFIX = 'dc=portico,dc=test';
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const SERVICE_DN = `cn=portico,ou=services,${SUFFIX}`;

export const userDn = (u: Pick<DirectoryUser, 'uid' | 'ou'>) => `uid=${u.uid},ou=${u.ou ?? 'people'},${SUFFIX}`;
export const groupDn = (g: Pick<DirectoryGroup, 'cn' | 'ou'>) => `cn=${g.cn},ou=${g.ou ?? 'groups'},${SUFFIX}`;

/** A CA, a server certificate it signs for 127.0.0.1 and localhost, and an unrelated CA. */
export function makeSlapdPki(): SlapdPki {
  const dir = mkdtempSync(join(tmpdir(), 'portico-ldap-pki-'));
  try {
    for (const name of ['ca', 'other']) newCa(dir, name, `/CN=Portico test LDAP ${name} CA`, RSA);
    issue(
      dir,
      'ca',
      'server',
      'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
      '/CN=localhost',
      RSA,
    );
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { ca: read('ca.crt'), otherCa: read('other.crt'), serverCert: read('server.crt'), serverKey: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const running = new Set<ChildProcess>();
// Whatever happens to the test run, no slapd outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function slapdConf(dir: string, pki: boolean): string {
  return [
    ...SCHEMAS.map((s) => `include ${s}`),
    `modulepath ${MODULE_PATH}`,
    'moduleload back_mdb',
    'moduleload memberof',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    // A DN with an empty password is an "unauthenticated bind"; allowing it, as Active Directory does,
    // means a client that ever sent one would get in: the tests prove Portico never does.
    'allow bind_anon_dn',
    'disallow bind_anon',
    ...(pki
      ? [
          `TLSCACertificateFile ${join(dir, 'ca.crt')}`,
          `TLSCertificateFile ${join(dir, 'server.crt')}`,
          `TLSCertificateKeyFile ${join(dir, 'server.key')}`,
        ]
      : []),
    'database mdb',
    `suffix "${SUFFIX}"`,
    `rootdn "${ADMIN_DN}"`,
    'rootpw admin-secret',
    `directory ${join(dir, 'db')}`,
    'maxsize 104857600',
    'index objectClass,uid,mail,member eq',
    'overlay memberof',
    'access to attrs=userPassword by self =xw by anonymous auth by * none',
    `access to * by dn.exact="${SERVICE_DN}" read by self read by * none`,
    '',
  ].join('\n');
}

function ldif(users: DirectoryUser[], groups: DirectoryGroup[], servicePassword: string): string {
  const ous = new Set(['people', 'groups', 'services', ...users.map((u) => u.ou ?? 'people'), ...groups.map((g) => g.ou ?? 'groups')]);
  const b64 = (v: string) => Buffer.from(v, 'utf8').toString('base64');
  // Values that are not plain ASCII go base64-encoded (RFC 2849 "::").
  const line = (name: string, value: string) =>
    /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) ? `${name}: ${value}` : `${name}:: ${b64(value)}`;
  const blocks = [
    [`dn: ${SUFFIX}`, 'objectClass: dcObject', 'objectClass: organization', 'o: Portico test', 'dc: portico'],
    ...[...ous].map((ou) => [`dn: ou=${ou},${SUFFIX}`, 'objectClass: organizationalUnit', `ou: ${ou}`]),
    [`dn: ${SERVICE_DN}`, 'objectClass: person', 'cn: portico', 'sn: service', line('userPassword', servicePassword)],
    ...users.map((u) => [
      line('dn', userDn(u)),
      'objectClass: inetOrgPerson',
      line('uid', u.uid),
      line('cn', `${u.givenName ?? u.uid} ${u.sn ?? 'Test'}`),
      line('sn', u.sn ?? 'Test'),
      ...(u.givenName ? [line('givenName', u.givenName)] : []),
      ...(u.mail === null ? [] : [line('mail', u.mail ?? `${u.uid.normalize('NFD').replace(/[^a-z0-9.-]/gi, '')}@directory.test`)]),
      line('userPassword', u.password),
    ]),
    ...groups.map((g) => [
      line('dn', groupDn(g)),
      'objectClass: groupOfNames',
      line('cn', g.cn),
      ...g.members.map((m) => line('member', m)),
    ]),
  ];
  return blocks.map((b) => b.join('\n')).join('\n\n') + '\n';
}

/**
 * A real OpenLDAP server for one test file: slapd in the foreground on 127.0.0.1 (plain + StartTLS
 * and LDAPS ports), mdb in a temporary directory, TLS from the run's own CA, users and groups
 * loaded with ldapadd. Its statistics log (-d 256: every BIND and SRCH) is kept for assertions.
 */
export class Slapd {
  readonly log: string[] = [];
  ldapPort = 0;
  ldapsPort = 0;
  private child: ChildProcess | null = null;
  private dir = '';

  private constructor(
    readonly pki: SlapdPki,
    readonly servicePassword: string,
    private readonly statsLog: boolean,
  ) {}

  /** The slapd process id (the benchmark reads its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get ldapUrl(): string {
    return `ldap://127.0.0.1:${this.ldapPort}`;
  }

  get ldapsUrl(): string {
    return `ldaps://127.0.0.1:${this.ldapsPort}`;
  }

  static async start(opts: {
    users: DirectoryUser[];
    groups?: DirectoryGroup[];
    pki?: SlapdPki;
    servicePassword?: string;
    /** false: no statistics log (the benchmark, where logging every operation would cost slapd time). */
    statsLog?: boolean;
  }): Promise<Slapd> {
    const server = new Slapd(opts.pki ?? makeSlapdPki(), opts.servicePassword ?? 'service-secret-42', opts.statsLog ?? true);
    try {
      await server.boot();
      server.add(ldif(opts.users, opts.groups ?? [], server.servicePassword));
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  /** Adds entries (LDIF) as the directory's administrator. */
  add(text: string): void {
    execFileSync(LDAPADD, ['-x', '-H', this.ldapUrl, '-D', ADMIN_DN, '-w', 'admin-secret'], {
      input: text,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Changes entries (LDIF with changetype) as the directory's administrator. */
  modify(text: string): void {
    execFileSync(LDAPMODIFY, ['-x', '-H', this.ldapUrl, '-D', ADMIN_DN, '-w', 'admin-secret'], {
      input: text,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Lets the statistics log catch up with what the server has done (it arrives through a pipe). */
  async settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 150));
  }

  /** BIND operations slapd saw for a DN (from its statistics log). */
  bindsAs(dn: string): number {
    const needle = `bind dn="${dn.toLowerCase()}" method=128`;
    return this.log.filter((l) => l.toLowerCase().includes(needle)).length;
  }

  /** The filters of the searches slapd received, as it logged them. */
  searchFilters(): string[] {
    return this.log.map((l) => /SRCH base=".*" scope=\d deref=\d filter="(.*)"$/.exec(l)?.[1]).filter((f): f is string => !!f);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
      clearTimeout(timer);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (child) running.delete(child);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'portico-slapd-'));
    mkdirSync(join(this.dir, 'db'));
    writeFileSync(join(this.dir, 'ca.crt'), this.pki.ca);
    writeFileSync(join(this.dir, 'server.crt'), this.pki.serverCert);
    writeFileSync(join(this.dir, 'server.key'), this.pki.serverKey, { mode: 0o600 });
    const conf = join(this.dir, 'slapd.conf');
    writeFileSync(conf, slapdConf(this.dir, true));
    // A configuration mistake is reported here, in words, rather than as a port that never opens.
    try {
      execFileSync(SLAPD, ['-Tt', '-u', '-f', conf], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`slapd rejects its configuration: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
    }
    for (let attempt = 1; ; attempt++) {
      this.ldapPort = await freePort();
      this.ldapsPort = await freePort();
      if (await this.spawn(conf)) return;
      if (attempt === 3)
        throw new Error(`slapd did not start on 127.0.0.1:${this.ldapPort}/${this.ldapsPort}:\n${this.log.slice(-20).join('\n')}`);
    }
  }

  /** Starts slapd in the foreground and waits for both ports; false if it exited first (a port was taken). */
  private async spawn(conf: string): Promise<boolean> {
    const urls = `${this.ldapUrl}/ ${this.ldapsUrl}/`;
    const child = spawn(SLAPD, ['-d', this.statsLog ? '256' : '0', '-f', conf, '-h', urls], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        this.log.push(...lines);
        // Keep memory bounded on long runs (the benchmark).
        if (this.log.length > 200_000) this.log.splice(0, this.log.length - 100_000);
      });
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        running.delete(child);
        this.child = null;
        return false;
      }
      if ((await portOpen(this.ldapPort)) && (await portOpen(this.ldapsPort))) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`slapd did not open its ports within 10 s:\n${this.log.slice(-20).join('\n')}`);
  }
}

/** The people and groups most LDAP suites sign in with (tenant A's directory searches ou=people, tenant B's ou=partners). */
export const PEOPLE = {
  ada: { uid: 'ada', password: 'Ada-directory-pw-1', givenName: 'Ada', sn: 'Lovelace', mail: 'ada@acme.example' },
  grace: { uid: 'grace', password: 'Grace-directory-pw-1', givenName: 'Grace', sn: 'Hopper', mail: 'grace@acme.example' },
  jurgen: { uid: 'jürgen', password: 'Jürgen-pässwörd-1', givenName: 'Jürgen', sn: 'Groß', mail: 'juergen@acme.example' },
  linus: { uid: 'linus', password: 'Linus-directory-pw-1', givenName: 'Linus', sn: 'Nomail', mail: null },
  bob: { uid: 'bob', password: 'Bob-directory-pw-1', givenName: 'Bob', sn: 'Partner', mail: 'bob@partner.example', ou: 'partners' },
  twinA: { uid: 'twin', password: 'Twin-directory-pw-1', mail: 'twin1@acme.example' },
  twinB: { uid: 'twin', password: 'Twin-directory-pw-1', mail: 'twin2@acme.example', ou: 'elsewhere' },
} satisfies Record<string, DirectoryUser>;

export const GROUPS = {
  admins: { cn: 'admins', members: [userDn(PEOPLE.ada)] },
  staff: { cn: 'staff', members: [userDn(PEOPLE.ada), userDn(PEOPLE.grace), userDn(PEOPLE.jurgen)] },
  sales: { cn: 'Sales Team', members: [userDn(PEOPLE.grace)] },
} satisfies Record<string, DirectoryGroup>;
