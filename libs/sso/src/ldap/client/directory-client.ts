import { Injectable } from '@nestjs/common';
import { Client, type Entry, type Filter, InvalidCredentialsError, ResultCodeError } from 'ldapts';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { caCertificates, type DirectorySettings } from '../config/directory-check';
import { fillFilter } from '../config/filter';

/** One entry as Portico reads it: its DN and the requested attributes (names in lower case). */
export interface DirectoryEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export type DirectoryFailure = 'connect' | 'tls' | 'timeout' | 'service-bind' | 'search' | 'ambiguous';

/** The directory could not give an answer: which step failed, in words for an administrator (never a secret). */
export class DirectoryError extends Error {
  constructor(
    readonly failure: DirectoryFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

/** What one sign-in may ask of a directory, on one connection that is bound as the service account. */
export interface DirectorySession {
  /** The one entry the search filter finds for this username, or null; several is an error (ambiguous). */
  findUser(username: string): Promise<DirectoryEntry | null>;
  /** Binds as the entry with the password: true when the directory accepts it. Never sends an empty password. */
  checkPassword(dn: string, password: string): Promise<boolean>;
  /** The DNs of the groups the entry belongs to: its group attribute (memberOf) and the group search, if configured. */
  groupsOf(entry: DirectoryEntry): Promise<string[]>;
}

const MAX_GROUPS = 1000;

/**
 * Talks LDAP (ldapts) behind the small DirectorySession interface: one connection per exchange,
 * TLS verified against the configured CA (or the system's) and never turned off, the whole
 * exchange bounded by the directory's timeout, the connection always closed afterwards.
 */
@Injectable()
export class DirectoryClient {
  async run<T>(settings: DirectorySettings, work: (session: DirectorySession) => Promise<T>): Promise<T> {
    const ldaps = new URL(settings.url).protocol === 'ldaps:';
    let client: Client;
    try {
      client = new Client({
        url: settings.url,
        // ldapts speaks TLS from the first byte whenever it has TLS options: ldap:// (with or without StartTLS) gets none.
        tlsOptions: ldaps ? tlsOptions(settings) : undefined,
        connectTimeout: settings.timeoutMs,
        timeout: settings.timeoutMs,
      });
    } catch (err) {
      throw classify(err, 'connect');
    }
    let over = false;
    const exchange = (async () => {
      if (settings.startTls) await startTls(client, settings);
      await serviceBind(client, settings);
      return work(new Session(client, settings, () => over));
    })();
    // ldapts bounds each operation and the TCP/LDAPS connect, not the StartTLS handshake nor the exchange as a whole.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new DirectoryError('timeout', `The directory did not answer within ${settings.timeoutMs} ms`)),
        settings.timeoutMs,
      );
    });
    try {
      return await Promise.race([exchange, deadline]);
    } finally {
      over = true;
      clearTimeout(timer);
      // The exchange may still fail after the deadline: nobody is waiting for it any more.
      exchange.catch(() => undefined);
      client.unbind().catch(() => undefined);
    }
  }
}

class Session implements DirectorySession {
  /** Whether the connection speaks as the service account (it speaks as the user after checkPassword). */
  private asService = true;
  /** Only an anonymous exchange without StartTLS opens its connection on the first search. */
  private mayConnect: boolean;

  constructor(
    private readonly client: Client,
    private readonly settings: DirectorySettings,
    private readonly isOver: () => boolean,
  ) {
    this.mayConnect = !client.isConnected;
  }

  /**
   * After the deadline the caller has moved on: nothing more goes to the directory. A lost connection
   * ends the exchange: ldapts would quietly open a new one, unbound and without StartTLS.
   */
  private live(): void {
    if (this.isOver()) throw new DirectoryError('timeout', 'The exchange was abandoned');
    if (!this.client.isConnected && !this.mayConnect) throw new DirectoryError('connect', 'The directory closed the connection');
    this.mayConnect = false;
  }

  /** Reads are the service account's, whatever the user may see: after a user bind the connection goes back to it. */
  private async asServiceAccount(): Promise<void> {
    this.live();
    if (this.asService) return;
    await serviceBind(this.client, this.settings, { again: true });
    this.asService = true;
  }

  async findUser(username: string): Promise<DirectoryEntry | null> {
    await this.asServiceAccount();
    const map = this.settings.attributeMapping;
    const attributes = [map.username, map.email, map.firstName, map.lastName, ...(map.groups ? [map.groups] : [])];
    const entries = await this.search(this.settings.searchBase, fillFilter(this.settings.searchFilter, { username }), attributes, 2);
    if (entries.length > 1) throw new DirectoryError('ambiguous', 'The search filter finds more than one entry for this username');
    return entries[0] ?? null;
  }

  async checkPassword(dn: string, password: string): Promise<boolean> {
    // An empty password makes a simple bind "unauthenticated", which many servers (Active Directory) accept.
    if (!password) return false;
    this.live();
    this.asService = false;
    try {
      await this.client.bind(dn, password);
      return true;
    } catch (err) {
      if (refusedBind(err)) return false;
      throw classify(err, 'search');
    }
  }

  async groupsOf(entry: DirectoryEntry): Promise<string[]> {
    await this.asServiceAccount();
    const groups = new Set<string>();
    const attribute = this.settings.attributeMapping.groups;
    if (attribute) for (const dn of entry.attributes[attribute.toLowerCase()] ?? []) groups.add(dn);
    if (this.settings.groupSearchFilter) {
      const filter = fillFilter(this.settings.groupSearchFilter, {
        dn: entry.dn,
        username: entry.attributes[this.settings.attributeMapping.username.toLowerCase()]?.[0] ?? '',
      });
      const found = await this.search(this.settings.groupSearchBase ?? this.settings.searchBase, filter, ['1.1'], MAX_GROUPS);
      for (const g of found) groups.add(g.dn);
    }
    return [...groups].slice(0, MAX_GROUPS);
  }

  /** A subtree search; at the size limit ldapts hands back the entries it has, without an error. */
  private async search(base: string, filter: Filter, attributes: string[], sizeLimit: number): Promise<DirectoryEntry[]> {
    try {
      const { searchEntries } = await this.client.search(base, {
        scope: 'sub',
        filter,
        attributes,
        sizeLimit,
        timeLimit: Math.max(1, Math.ceil(this.settings.timeoutMs / 1000)),
      });
      return searchEntries.map(toEntry);
    } catch (err) {
      throw classify(err, 'search');
    }
  }
}

/** TLS as Portico always does it: the certificate must chain to the CA (or the system's CAs) and name the host. */
function tlsOptions(settings: DirectorySettings): ConnectionOptions {
  const host = new URL(settings.url).hostname.replace(/^\[|\]$/g, '');
  const ca = settings.caCertificate ? (caCertificates(settings.caCertificate) ?? undefined) : undefined;
  return { host, servername: isIP(host) ? undefined : host, ca, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

async function startTls(client: Client, settings: DirectorySettings): Promise<void> {
  try {
    await client.startTLS(tlsOptions(settings));
  } catch (err) {
    // A failed StartTLS never falls back to plain text: the exchange ends here and the connection is closed.
    throw classify(err, 'connect', 'StartTLS');
  }
}

async function serviceBind(client: Client, settings: DirectorySettings, opts: { again?: boolean } = {}): Promise<void> {
  if (!settings.bindDn) {
    // Anonymous search: a new connection already is anonymous; after a user bind, an anonymous bind (no name, no password) goes back.
    if (opts.again) await client.bind('', '').catch((err) => Promise.reject(classify(err, 'service-bind')));
    return;
  }
  if (!settings.bindPassword) throw new DirectoryError('service-bind', 'The service account has no password');
  try {
    await client.bind(settings.bindDn, settings.bindPassword);
  } catch (err) {
    if (err instanceof InvalidCredentialsError)
      throw new DirectoryError('service-bind', 'The directory refused the service account (bindDn / bindPassword)');
    throw classify(err, 'service-bind');
  }
}

function toEntry(entry: Entry): DirectoryEntry {
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'dn') continue;
    const values = Array.isArray(value) ? value : [value];
    attributes[name.toLowerCase()] = values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
  }
  return { dn: entry.dn, attributes };
}

// busy, unavailable, other: the server could not decide; every other LDAP result to a bind is a no.
const UNDECIDED = new Set([51, 52, 80]);

/** A bind the directory answered with a refusal (wrong password, locked, expired, policy…), not a failure to answer. */
function refusedBind(err: unknown): boolean {
  return err instanceof ResultCodeError && !UNDECIDED.has(err.code);
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/i;

function tlsError(err: Error, step: string): DirectoryError {
  const why = (err as { code?: string }).code ?? err.message.replace(/^(Error: )+/, '');
  return new DirectoryError(
    'tls',
    `${step}: the server's certificate was not accepted (${why}). Give the CA that signed it in caCertificate; verification is never turned off.`,
  );
}

/** Any error of a step as a DirectoryError, with words for the administrator. */
function classify(err: unknown, step: DirectoryFailure, tlsStep = 'TLS'): DirectoryError {
  if (err instanceof DirectoryError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  // The directory answered with an LDAP result: its name and the server's words.
  if (e instanceof ResultCodeError) return new DirectoryError(step, `${e.name} (LDAP result ${e.code}): ${e.message}`.slice(0, 300));
  const code = (e as { code?: string }).code ?? '';
  if (TLS_CODES.test(code) || /certificate|handshake|tls|ssl/i.test(e.message)) return tlsError(e, tlsStep);
  const network = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|EPIPE/.exec(`${code} ${e.message}`);
  if (network) return new DirectoryError('connect', `Could not connect to the directory (${network[0]})`);
  if (/timeout|timed out/i.test(e.message)) return new DirectoryError('timeout', 'The directory did not answer in time');
  if (/connection closed|socket error/i.test(e.message)) return new DirectoryError('connect', 'The directory closed the connection');
  return new DirectoryError(step, `${e.name}: ${e.message}`.slice(0, 300));
}
