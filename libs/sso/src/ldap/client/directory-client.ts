import { Injectable } from '@nestjs/common';
import { type Client, createClient, InvalidCredentialsError, type SearchEntry, SizeLimitExceededError } from 'ldapjs';
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
 * Talks LDAP (ldapjs) behind the small DirectorySession interface: one connection per exchange,
 * TLS verified against the configured CA (or the system's) and never turned off, the whole
 * exchange bounded by the directory's timeout, the connection always closed afterwards.
 */
@Injectable()
export class DirectoryClient {
  async run<T>(settings: DirectorySettings, work: (session: DirectorySession) => Promise<T>): Promise<T> {
    const state: { client: Client | null; over: boolean } = { client: null, over: false };
    const exchange = (async () => {
      state.client = await connect(settings);
      // The deadline passed while connecting: nothing more is sent.
      if (state.over) throw new DirectoryError('timeout', 'The exchange was abandoned');
      await serviceBind(state.client, settings);
      return work(new Session(state.client, settings, state));
    })();
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
      clearTimeout(timer);
      state.over = true;
      close(state.client);
      // A connection still being made when the deadline passed is closed as soon as it exists.
      exchange.then(
        () => close(state.client),
        () => close(state.client),
      );
    }
  }
}

class Session implements DirectorySession {
  /** Whether the connection speaks as the service account (it speaks as the user after checkPassword). */
  private asService = true;

  constructor(
    private readonly client: Client,
    private readonly settings: DirectorySettings,
    private readonly state: { over: boolean },
  ) {}

  /** After the deadline the caller has moved on: nothing more goes to the directory. */
  private live(): void {
    if (this.state.over) throw new DirectoryError('timeout', 'The exchange was abandoned');
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
    const entries = await search(this.client, this.settings.searchBase, fillFilter(this.settings.searchFilter, { username }), {
      attributes,
      sizeLimit: 2,
      timeoutMs: this.settings.timeoutMs,
    });
    if (entries.length > 1) throw new DirectoryError('ambiguous', 'The search filter finds more than one entry for this username');
    return entries[0] ?? null;
  }

  async checkPassword(dn: string, password: string): Promise<boolean> {
    // An empty password makes a simple bind "unauthenticated", which many servers (Active Directory) accept.
    if (!password) return false;
    this.live();
    this.asService = false;
    try {
      await bind(this.client, dn, password);
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError || refusedBind(err)) return false;
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
      const found = await search(this.client, this.settings.groupSearchBase ?? this.settings.searchBase, filter, {
        attributes: ['1.1'],
        sizeLimit: MAX_GROUPS,
        timeoutMs: this.settings.timeoutMs,
      });
      for (const g of found) groups.add(g.dn);
    }
    return [...groups].slice(0, MAX_GROUPS);
  }
}

/** TLS as Portico always does it: the certificate must chain to the CA (or the system's CAs) and name the host. */
function tlsOptions(settings: DirectorySettings): ConnectionOptions {
  const host = new URL(settings.url).hostname.replace(/^\[|\]$/g, '');
  const ca = settings.caCertificate ? (caCertificates(settings.caCertificate) ?? undefined) : undefined;
  return { host, servername: isIP(host) ? undefined : host, ca, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

function connect(settings: DirectorySettings): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: settings.url,
      tlsOptions: tlsOptions(settings),
      connectTimeout: settings.timeoutMs,
      timeout: settings.timeoutMs,
      reconnect: false,
    });
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(classify(err, 'connect'));
    };
    // ldapjs reports trouble as events; an 'error' without a listener would take the process down.
    client.on('error', fail);
    client.on('connectError', fail);
    client.on('connectTimeout', () =>
      fail(new DirectoryError('timeout', `No connection to ${settings.url} within ${settings.timeoutMs} ms`)),
    );
    client.on('setupError', fail);
    client.once('connect', () => {
      if (!settings.startTls) {
        settled = true;
        return resolve(client);
      }
      client.starttls(tlsOptions(settings), [], (err: Error | null) => {
        // A failed StartTLS never falls back to plain text: the connection is closed.
        if (err) return fail(err instanceof DirectoryError ? err : tlsError(err, 'StartTLS'));
        settled = true;
        resolve(client);
      });
    });
  });
}

async function serviceBind(client: Client, settings: DirectorySettings, opts: { again?: boolean } = {}): Promise<void> {
  if (!settings.bindDn) {
    // Anonymous search: a new connection already is anonymous; after a user bind, an anonymous bind (no name, no password) goes back.
    if (opts.again) await bind(client, '', '').catch((err) => Promise.reject(classify(err, 'service-bind')));
    return;
  }
  if (!settings.bindPassword) throw new DirectoryError('service-bind', 'The service account has no password');
  try {
    await bind(client, settings.bindDn, settings.bindPassword);
  } catch (err) {
    if (err instanceof InvalidCredentialsError)
      throw new DirectoryError('service-bind', 'The directory refused the service account (bindDn / bindPassword)');
    throw classify(err, 'service-bind');
  }
}

function bind(client: Client, dn: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => client.bind(dn, password, (err) => (err ? reject(err) : resolve())));
}

function search(
  client: Client,
  base: string,
  filter: ReturnType<typeof fillFilter>,
  opts: { attributes: string[]; sizeLimit: number; timeoutMs: number },
): Promise<DirectoryEntry[]> {
  return new Promise((resolve, reject) => {
    const entries: DirectoryEntry[] = [];
    const options = {
      scope: 'sub' as const,
      filter,
      attributes: opts.attributes,
      sizeLimit: opts.sizeLimit,
      timeLimit: Math.max(1, Math.ceil(opts.timeoutMs / 1000)),
    };
    client.search(base, options, (err, res) => {
      if (err) return reject(classify(err, 'search'));
      res.on('searchEntry', (entry: SearchEntry) => entries.push(toEntry(entry)));
      res.on('error', (e: Error) => {
        if (e instanceof SizeLimitExceededError) {
          return opts.sizeLimit <= 2
            ? reject(new DirectoryError('ambiguous', 'The search filter finds more than one entry for this username'))
            : resolve(entries);
        }
        reject(classify(e, 'search'));
      });
      res.on('end', (result) => {
        if (result && result.status !== 0)
          return reject(new DirectoryError('search', `The search ended with LDAP result ${result.status}`));
        resolve(entries);
      });
    });
  });
}

function toEntry(entry: SearchEntry): DirectoryEntry {
  const attributes: Record<string, string[]> = {};
  for (const attribute of entry.attributes) {
    const vals = attribute.vals;
    attributes[attribute.type.toLowerCase()] = Array.isArray(vals) ? vals : [vals];
  }
  return { dn: String(entry.objectName ?? ''), attributes };
}

// busy, unavailable, other: the server could not decide; every other LDAP result to a bind is a no.
const UNDECIDED = new Set([51, 52, 80]);

/** A bind the directory answered with a refusal (locked, expired, policy…), not a failure to answer. */
function refusedBind(err: unknown): boolean {
  // ldapjs's LDAPError (its typings do not export the class): a result code and the server's message.
  if (!(err instanceof Error) || !('lde_message' in err)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && !UNDECIDED.has(code);
}

const closed = new WeakSet<Client>();

function close(client: Client | null): void {
  if (!client || closed.has(client)) return;
  closed.add(client);
  try {
    client.unbind(() => client.destroy());
  } catch {
    client.destroy();
  }
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
function classify(err: unknown, step: DirectoryFailure): DirectoryError {
  if (err instanceof DirectoryError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: string }).code ?? '';
  if (TLS_CODES.test(code) || /certificate|handshake|tls|ssl/i.test(e.message)) return tlsError(e, 'TLS');
  const network = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|EPIPE/.exec(`${code} ${e.message}`);
  if (network) return new DirectoryError('connect', `Could not connect to the directory (${network[0]})`);
  if (e.name === 'TimeoutError' || /timeout/i.test(e.message)) return new DirectoryError('timeout', 'The directory did not answer in time');
  if (e.name === 'ConnectionError') return new DirectoryError('connect', `The connection to the directory failed: ${e.message}`);
  return new DirectoryError(step, `${e.name}: ${e.message}`.slice(0, 300));
}
