import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, ConfigError } from './app-config';

describe('AppConfig', () => {
  it('runs on the embedded SQLite default with a generated secret key kept beside the database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-config-'));
    const config = new AppConfig({ DATABASE_URL: `sqlite:${dir}/portico.sqlite` });
    expect(config.database).toEqual({ kind: 'sqlite', location: `${dir}/portico.sqlite` });
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.migrateOnStart).toBe(true);
    expect(config.secretKey).toBe(readFileSync(join(dir, 'secret.key'), 'utf8').trim());
    expect(new AppConfig({ DATABASE_URL: `sqlite:${dir}/portico.sqlite` }).secretKey).toBe(config.secretKey);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      new AppConfig({ NODE_ENV: 'production', PORT: 'eighty', DATABASE_URL: 'mysql://x', REDIS_URL: 'http://nope', TRUST_PROXY: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT must be an integer/);
    expect(problems).toMatch(/DATABASE_URL must start with sqlite: or postgres:\/\//);
    expect(problems).toMatch(/REDIS_URL must start with redis:\/\//);
    expect(problems).toMatch(/TRUST_PROXY must be false, a number of proxies, or a comma-separated list.*"maybe"/);
    expect(problems).toMatch(/PORTICO_SECRET_KEY is required in production/);
  });

  it('requires a secret key for PostgreSQL and never prints the values it validates', () => {
    expect(() => new AppConfig({ DATABASE_URL: 'postgres://u:hunter2hunter2@db/portico' })).toThrow(/PORTICO_SECRET_KEY is required/);
    try {
      new AppConfig({ DATABASE_URL: 'postgres://u:hunter2hunter2@db/portico', PORTICO_SECRET_KEY: 'short-secret' });
    } catch (err) {
      expect(String(err)).not.toContain('short-secret');
      expect(String(err)).not.toContain('hunter2');
    }
  });

  it('defaults migrations at start off on PostgreSQL and takes PUBLIC_URL without a trailing slash', () => {
    const config = new AppConfig({
      DATABASE_URL: 'postgres://db/portico',
      PORTICO_SECRET_KEY: 'x'.repeat(32),
      PUBLIC_URL: 'https://id.example.com/',
    });
    expect(config.migrateOnStart).toBe(false);
    expect(config.publicUrl).toBe('https://id.example.com');
    expect(config.secureCookies).toBe(true);
  });

  it('reads the billing settings, with the schedule off under NODE_ENV=test unless asked for', () => {
    const base = { DATABASE_URL: 'postgres://db/portico', PORTICO_SECRET_KEY: 'x'.repeat(32) };
    expect(new AppConfig(base).billing).toEqual({
      schedule: true,
      concurrency: 8,
      timeoutMs: 10_000,
      retryDelaysMs: [2_000, 10_000, 60_000],
      heartbeatMs: 3_000,
      staleAfterMs: 15_000,
      sweepMs: 5_000,
    });
    expect(new AppConfig({ ...base, NODE_ENV: 'test' }).billing.schedule).toBe(false);
    const set = new AppConfig({
      ...base,
      NODE_ENV: 'test',
      BILLING_SCHEDULE: 'true',
      BILLING_CONCURRENCY: '2',
      BILLING_TIMEOUT_MS: '500',
      BILLING_RETRY_DELAYS_MS: '10, 20',
    });
    expect(set.billing).toMatchObject({ schedule: true, concurrency: 2, timeoutMs: 500, retryDelaysMs: [10, 20] });
    expect(
      new AppConfig({ ...base, BILLING_HEARTBEAT_MS: '1000', BILLING_STALE_AFTER_MS: '4000', BILLING_SWEEP_MS: '0' }).billing,
    ).toMatchObject({
      heartbeatMs: 1_000,
      staleAfterMs: 4_000,
      sweepMs: 0,
    });
    expect(() => new AppConfig({ ...base, BILLING_HEARTBEAT_MS: '2000', BILLING_STALE_AFTER_MS: '5000' })).toThrow(
      /BILLING_STALE_AFTER_MS must be at least 3 times BILLING_HEARTBEAT_MS/,
    );
    expect(new AppConfig({ ...base, BILLING_RETRY_DELAYS_MS: '' }).billing.retryDelaysMs).toEqual([]);
    expect(() => new AppConfig({ ...base, BILLING_RETRY_DELAYS_MS: '10,soon', BILLING_CONCURRENCY: '0' })).toThrow(
      /BILLING_CONCURRENCY must be an integer between 1 and 64[\s\S]*BILLING_RETRY_DELAYS_MS must be up to 10 comma-separated waits/,
    );
  });

  it('reads the HTTP request and shutdown time limits, with their defaults and bounds', () => {
    const base = { NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' };
    expect(new AppConfig(base)).toMatchObject({ httpRequestTimeoutSeconds: 30, shutdownTimeoutMs: 25_000 });
    expect(new AppConfig({ ...base, HTTP_REQUEST_TIMEOUT_SECONDS: '5', SHUTDOWN_TIMEOUT_SECONDS: '3' })).toMatchObject({
      httpRequestTimeoutSeconds: 5,
      shutdownTimeoutMs: 3_000,
    });
    expect(() => new AppConfig({ ...base, HTTP_REQUEST_TIMEOUT_SECONDS: '0', SHUTDOWN_TIMEOUT_SECONDS: 'soon' })).toThrow(
      /HTTP_REQUEST_TIMEOUT_SECONDS[\s\S]*SHUTDOWN_TIMEOUT_SECONDS/,
    );
  });

  it('reads the jobs and webhook settings, with their defaults', () => {
    const base = { NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' };
    expect(new AppConfig(base)).toMatchObject({
      jobsInServer: true,
      jobsConcurrency: 50,
      jobsPrefix: 'portico',
      webhookRetrySchedule: [0, 5, 300, 1800, 7200, 18000, 36000, 36000],
      webhookTimeoutMs: 15_000,
    });
    expect(
      new AppConfig({ ...base, JOBS_IN_SERVER: 'false', WEBHOOK_RETRY_SCHEDULE: '0, 1,2', WEBHOOK_TIMEOUT_SECONDS: '3' }),
    ).toMatchObject({ jobsInServer: false, webhookRetrySchedule: [0, 1, 2], webhookTimeoutMs: 3000 });
    expect(() => new AppConfig({ ...base, WEBHOOK_RETRY_SCHEDULE: '0,soon', JOBS_PREFIX: 'a:b', JOBS_CONCURRENCY: '0' })).toThrow(
      /JOBS_CONCURRENCY must be[\s\S]*JOBS_PREFIX must be[\s\S]*WEBHOOK_RETRY_SCHEDULE must be/,
    );
  });

  it('reads TRUST_PROXY as Express reads trust proxy, and refuses true with what to write instead', () => {
    const base = { NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' };
    expect(new AppConfig(base).trustProxy).toBe(false);
    expect(new AppConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(new AppConfig({ ...base, TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(new AppConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(new AppConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '2001:db8::1',
    ]);
    for (const spelling of ['true', 'TRUE', 'yes', 'on'])
      expect(() => new AppConfig({ ...base, TRUST_PROXY: spelling })).toThrow(
        new RegExp(
          `TRUST_PROXY=${spelling} trusts every hop and lets clients spoof their address: set the number of proxies in front of Portico \\(e\\.g\\. 1\\) or their addresses \\(e\\.g\\. loopback,10\\.0\\.0\\.0/8\\)`,
        ),
      );
    expect(() => new AppConfig({ ...base, TRUST_PROXY: 'loopback,10.0.0.0/33,proxy.internal,10' })).toThrow(
      /not understood: "10\.0\.0\.0\/33", "proxy\.internal", "10"\)/,
    );
    expect(() => new AppConfig({ ...base, TRUST_PROXY: '1000' })).toThrow(/TRUST_PROXY must be a number of proxies between 0 and 32/);
  });
});
