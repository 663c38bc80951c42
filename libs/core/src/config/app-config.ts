import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { rateLimitConfig, type RateLimitConfig } from '../limits/rate-limit-config';
import { observabilityConfig, type ObservabilityConfig } from '../metrics/observability-config';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseConfig {
  kind: DatabaseKind;
  /** SQLite file path (or ':memory:') or the PostgreSQL connection URL. */
  location: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Express's own `trust proxy` forms: none, a number of hops, or the proxies' addresses, ranges and names. */
export type TrustProxy = false | number | string[];

/** How billing runs behave (libs/billing). */
export interface BillingConfig {
  /** Start the monthly run by itself (BILLING_SCHEDULE). */
  schedule: boolean;
  /** Calls to tenant billing APIs in flight at once, per run. */
  concurrency: number;
  /** How long a tenant billing API may take to answer one bill. */
  timeoutMs: number;
  /** Waits before each retry of a failed bill; its length + 1 is the number of tries. */
  retryDelaysMs: number[];
  /** How often an executing run proves it is alive. */
  heartbeatMs: number;
  /** A run without a heartbeat this long is stalled: another process may take it over. */
  staleAfterMs: number;
  /** How often a process that runs jobs looks for stalled runs; 0: never (the command line). */
  sweepMs: number;
}

/**
 * The validated environment. Read once at boot; every problem is reported at once.
 * Variables marked secret are never printed (see describe()).
 */
export class AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly publicUrl: string;
  readonly database: DatabaseConfig;
  readonly migrateOnStart: boolean;
  readonly secretKey: string;
  readonly redisUrl: string | null;
  readonly adminEmail: string | null;
  readonly adminPassword: string | null;
  readonly adminApiToken: string | null;
  readonly logLevel: string;
  /** Express's `trust proxy` value: which hops' X-Forwarded-For Portico believes (false: none). */
  readonly trustProxy: TrustProxy;
  /** Metrics (METRICS_TOKEN, METRICS_PORT) and tracing (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly observability: ObservabilityConfig;
  readonly bodyLimit: string;
  /** How long a client has to send a whole request, headers and body (HTTP_REQUEST_TIMEOUT_SECONDS). */
  readonly httpRequestTimeoutSeconds: number;
  readonly sessionIdleMinutes: number;
  readonly sessionAbsoluteHours: number;
  /** With REDIS_URL: whether this server also processes jobs (workers always do). */
  readonly jobsInServer: boolean;
  /** Jobs of one type processed at once by one process. */
  readonly jobsConcurrency: number;
  /** BullMQ key prefix: servers and workers of one deployment share it; another deployment on the same Redis picks its own. */
  readonly jobsPrefix: string;
  /** Seconds before each webhook delivery attempt (the first is usually 0); its length is the number of attempts. */
  readonly webhookRetrySchedule: number[];
  readonly webhookTimeoutMs: number;
  /** Days a dispatched domain event stays in the outbox before it is deleted. */
  readonly outboxRetentionDays: number;
  /** Days a finished webhook message (delivered or failed) and its attempts are kept. */
  readonly webhookRetentionDays: number;
  readonly billing: BillingConfig;
  /** SMTP server mail is sent through (`smtp://` or `smtps://`, credentials in the URL); null: mail is kept in the Mailbox. */
  readonly smtpUrl: string | null;
  /** The From of every mail. */
  readonly mailFrom: string;
  /** Seconds before each mail delivery attempt; its length is the number of attempts. */
  readonly mailRetrySchedule: number[];
  /** How long a process may take to stop after SIGTERM before it exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** The rate limits of the public doors (RATE_LIMIT_*). */
  readonly rateLimits: RateLimitConfig;

  static readonly SECRET_VARIABLES = [
    'PORTICO_SECRET_KEY',
    'ADMIN_PASSWORD',
    'ADMIN_API_TOKEN',
    'DATABASE_URL',
    'REDIS_URL',
    'SMTP_URL',
    'METRICS_TOKEN',
  ];

  constructor(env: Env = process.env) {
    const problems: string[] = [];
    const nodeEnv = env.NODE_ENV ?? 'development';
    if (!['development', 'production', 'test'].includes(nodeEnv)) {
      problems.push(`NODE_ENV must be development, production or test (got "${nodeEnv}")`);
    }
    this.nodeEnv = nodeEnv as AppConfig['nodeEnv'];
    this.port = int(env, 'PORT', 3000, problems, 0, 65535);
    this.publicUrl = (env.PUBLIC_URL ?? `http://localhost:${this.port}`).replace(/\/+$/, '');
    if (!/^https?:\/\/[^\s/]+/.test(this.publicUrl)) problems.push('PUBLIC_URL must be an http(s) URL');
    this.database = parseDatabaseUrl(env.DATABASE_URL ?? 'sqlite:./data/portico.sqlite', problems);
    this.migrateOnStart = bool(env, 'MIGRATE_ON_START', this.database.kind === 'sqlite', problems);
    this.redisUrl = env.REDIS_URL?.trim() || null;
    if (this.redisUrl && !/^rediss?:\/\//.test(this.redisUrl)) problems.push('REDIS_URL must start with redis:// or rediss://');
    this.adminEmail = env.ADMIN_EMAIL?.trim() || null;
    this.adminPassword = env.ADMIN_PASSWORD || null;
    if (this.adminPassword && this.adminPassword.length < 8) problems.push('ADMIN_PASSWORD must be at least 8 characters');
    if (this.adminPassword && !this.adminEmail) problems.push('ADMIN_PASSWORD is set but ADMIN_EMAIL is not');
    this.adminApiToken = env.ADMIN_API_TOKEN || null;
    if (this.adminApiToken && this.adminApiToken.length < 24) problems.push('ADMIN_API_TOKEN must be at least 24 characters');
    this.logLevel = env.LOG_LEVEL ?? (this.nodeEnv === 'test' ? 'silent' : 'info');
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(this.logLevel)) {
      problems.push('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
    }
    this.trustProxy = trustProxy(env.TRUST_PROXY, problems);
    this.observability = observabilityConfig(env, problems);
    this.bodyLimit = env.BODY_LIMIT ?? '100kb';
    if (!/^\d+(b|kb|mb)$/i.test(this.bodyLimit)) problems.push('BODY_LIMIT must look like 100kb or 1mb');
    this.httpRequestTimeoutSeconds = int(env, 'HTTP_REQUEST_TIMEOUT_SECONDS', 30, problems, 1, 3600);
    this.sessionIdleMinutes = int(env, 'SESSION_IDLE_MINUTES', 30, problems, 1, 24 * 60);
    this.sessionAbsoluteHours = int(env, 'SESSION_ABSOLUTE_HOURS', 12, problems, 1, 24 * 30);
    this.jobsInServer = bool(env, 'JOBS_IN_SERVER', true, problems);
    this.jobsConcurrency = int(env, 'JOBS_CONCURRENCY', 50, problems, 1, 1000);
    this.jobsPrefix = env.JOBS_PREFIX?.trim() || 'portico';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(this.jobsPrefix))
      problems.push('JOBS_PREFIX must be 1–64 letters, digits, dots, dashes or underscores');
    this.webhookRetrySchedule = retrySchedule(env.WEBHOOK_RETRY_SCHEDULE, problems);
    this.webhookTimeoutMs = int(env, 'WEBHOOK_TIMEOUT_SECONDS', 15, problems, 1, 60) * 1000;
    this.outboxRetentionDays = int(env, 'OUTBOX_RETENTION_DAYS', 7, problems, 1, 365);
    this.webhookRetentionDays = int(env, 'WEBHOOK_RETENTION_DAYS', 30, problems, 1, 365);
    // Above the default webhook timeout (a delivery in flight finishes), below Kubernetes' 30 s grace period.
    this.shutdownTimeoutMs = int(env, 'SHUTDOWN_TIMEOUT_SECONDS', 25, problems, 1, 600) * 1000;
    this.smtpUrl = env.SMTP_URL?.trim() || null;
    if (this.smtpUrl && !/^smtps?:\/\/[^\s/]+/.test(this.smtpUrl)) problems.push('SMTP_URL must start with smtp:// or smtps://');
    this.mailFrom = env.MAIL_FROM?.trim() || 'Portico <no-reply@localhost>';
    if (/[\r\n]/.test(this.mailFrom) || !/@/.test(this.mailFrom))
      problems.push('MAIL_FROM must be an address, e.g. Portico <no-reply@example.com>');
    this.mailRetrySchedule = retrySchedule(env.MAIL_RETRY_SCHEDULE, problems, 'MAIL_RETRY_SCHEDULE', DEFAULT_MAIL_RETRY_SCHEDULE);
    this.billing = {
      // Off by default in tests: a suite's app must not bill its fixtures behind its back.
      schedule: bool(env, 'BILLING_SCHEDULE', this.nodeEnv !== 'test', problems),
      concurrency: int(env, 'BILLING_CONCURRENCY', 8, problems, 1, 64),
      timeoutMs: int(env, 'BILLING_TIMEOUT_MS', 10_000, problems, 100, 120_000),
      retryDelaysMs: delays(env, 'BILLING_RETRY_DELAYS_MS', [2_000, 10_000, 60_000], problems),
      heartbeatMs: int(env, 'BILLING_HEARTBEAT_MS', 3_000, problems, 100, 60_000),
      staleAfterMs: int(env, 'BILLING_STALE_AFTER_MS', 15_000, problems, 300, 600_000),
      sweepMs: int(env, 'BILLING_SWEEP_MS', 5_000, problems, 0, 300_000),
    };
    // A few missed beats (a long pause, a slow database) must not hand a live run to another process.
    if (this.billing.staleAfterMs < 3 * this.billing.heartbeatMs) {
      problems.push('BILLING_STALE_AFTER_MS must be at least 3 times BILLING_HEARTBEAT_MS');
    }
    this.rateLimits = rateLimitConfig(env, problems);
    this.secretKey = resolveSecretKey(env, this.nodeEnv, this.database, problems);
    if (problems.length) throw new ConfigError(problems);
  }

  get secureCookies(): boolean {
    return this.publicUrl.startsWith('https://');
  }
}

function int(env: Env, name: string, fallback: number, problems: string[], min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  problems.push(`${name} must be true or false (got "${env[name]}")`);
  return fallback;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: false, a hop count, or a list of the proxies' addresses, CIDR ranges and names.
 * `true` is refused: it believes the left-most X-Forwarded-For entry, which the client writes.
 */
function trustProxy(raw: string | undefined, problems: string[]): TrustProxy {
  const value = raw?.trim().toLowerCase() ?? '';
  if (['', 'false', 'no', 'off', '0'].includes(value)) return false;
  if (['true', 'yes', 'on'].includes(value)) {
    problems.push(
      `TRUST_PROXY=${raw!.trim()} trusts every hop and lets clients spoof their address: set the number of proxies in front of Portico (e.g. 1) or their addresses (e.g. loopback,10.0.0.0/8)`,
    );
    return false;
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops <= 32) return hops;
    problems.push(`TRUST_PROXY must be a number of proxies between 0 and 32 (got "${raw}")`);
    return false;
  }
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !PROXY_NAMES.includes(e) && !isAddressOrRange(e));
  if (bad.length) {
    problems.push(
      `TRUST_PROXY must be false, a number of proxies, or a comma-separated list of IP addresses, CIDR ranges, loopback, linklocal or uniquelocal (not understood: ${bad.map((e) => `"${e}"`).join(', ')})`,
    );
    return false;
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return isIP(entry.split('/')[0]) !== 0;
    } catch {
      return false;
    }
  }
  // isIP, not ipaddr.isValid: ipaddr.js also reads "10" or "0x0a000001" as addresses.
  return isIP(entry) !== 0;
}

/** A comma-separated list of waits in milliseconds, e.g. "2000,10000,60000" (empty: no retry). */
function delays(env: Env, name: string, fallback: number[], problems: string[]): number[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === '') return [];
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length > 10 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 3_600_000)) {
    problems.push(`${name} must be up to 10 comma-separated waits in milliseconds between 0 and 3600000 (got "${raw}")`);
    return fallback;
  }
  return values;
}

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

export const DEFAULT_MAIL_RETRY_SCHEDULE = [0, 30, 120, 600, 1800, 3600, 7200];

function retrySchedule(
  raw: string | undefined,
  problems: string[],
  name = 'WEBHOOK_RETRY_SCHEDULE',
  fallback = DEFAULT_WEBHOOK_RETRY_SCHEDULE,
): number[] {
  if (raw === undefined || raw.trim() === '') return fallback;
  const steps = raw.split(',').map((part) => Number(part.trim()));
  if (steps.length > 20 || steps.some((n) => !Number.isFinite(n) || n < 0 || n > 7 * 86_400)) {
    problems.push(`${name} must be 1–20 comma-separated delays in seconds, each 0–604800 (got "${raw}")`);
    return fallback;
  }
  return steps;
}

export function parseDatabaseUrl(url: string, problems: string[]): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const location = url.slice('sqlite:'.length).replace(/^\/\//, '') || './data/portico.sqlite';
    return { kind: 'sqlite', location };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', location: url };
  problems.push('DATABASE_URL must start with sqlite: or postgres://');
  return { kind: 'sqlite', location: './data/portico.sqlite' };
}

// The embedded default keeps a generated key beside its database, so a restart can still read
// its own secrets. Production must bring its own key.
function resolveSecretKey(env: Env, nodeEnv: string, db: DatabaseConfig, problems: string[]): string {
  const given = env.PORTICO_SECRET_KEY;
  if (given) {
    if (given.length < 32) problems.push('PORTICO_SECRET_KEY must be at least 32 characters');
    return given;
  }
  if (nodeEnv === 'production') {
    problems.push('PORTICO_SECRET_KEY is required in production (generate one with: openssl rand -base64 32)');
    return '';
  }
  if (db.kind !== 'sqlite' || db.location === ':memory:') {
    if (nodeEnv === 'test') return 'test-only-secret-key-not-for-production-use';
    problems.push('PORTICO_SECRET_KEY is required unless Portico runs on its embedded SQLite file');
    return '';
  }
  const keyFile = resolve(dirname(db.location), 'secret.key');
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(keyFile, 'utf8').trim();
}
