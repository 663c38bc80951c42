import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, TestClock } from '@portico/core';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../apps/server/src/create-app';
import { DbKind, freshDatabase, TestDatabase } from './databases';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const ADMIN_EMAIL = 'admin@portico.test';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestApp {
  app: NestExpressApplication;
  db: TestDatabase;
  config: AppConfig;
  /** supertest bound to the running app */
  http: TestAgent;
  /** Authorization header value for the platform admin */
  admin: string;
  baseUrl: string;
  /** The app's clock: real time until a test moves it (instead of sleeping). */
  clock: TestClock;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** A clock to share, e.g. between two instances on one database. */
  clock?: TestClock;
  /** SMTP_URL of the app (e.g. a test/support/smtp.ts server's url); unset: mail stays in the Mailbox. */
  smtpUrl?: string;
}

/** The real app on a fresh database, migrations applied, listening on a random loopback port. */
export async function startTestApp(kind: DbKind, env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await freshDatabase(kind);
  const config = new AppConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    MIGRATE_ON_START: 'true',
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PORTICO_SECRET_KEY: 'test-secret-key-test-secret-key-test-secret-key',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
    ...env,
  });
  const clock = options.clock ?? new TestClock();
  const app = await createApp(config, { clock });
  // A suite that must know its address before start (PUBLIC_URL, e.g. the OIDC issuer) picks PORT itself.
  await app.listen(Number(env.PORT ?? 0), '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    app,
    db,
    config,
    http: request(app.getHttpServer()),
    admin: `Bearer ${ADMIN_TOKEN}`,
    baseUrl,
    clock,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

export function basic(keyId: string, secret: string): string {
  return `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}`;
}

/**
 * A second server on `first`'s database, clock and PUBLIC_URL (one issuer, as behind a load
 * balancer); migrations are already applied. `close` stops only this instance.
 */
export async function startSecondInstance<T extends TestApp>(first: T, env: Record<string, string> = {}): Promise<T> {
  const config = new AppConfig({
    NODE_ENV: 'test',
    DATABASE_URL: first.db.url,
    MIGRATE_ON_START: 'false',
    PORTICO_SECRET_KEY: first.config.secretKey,
    ADMIN_API_TOKEN: first.admin.slice('Bearer '.length),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    PUBLIC_URL: first.config.publicUrl,
    ...env,
  });
  const app = await createApp(config, { clock: first.clock });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { ...first, app, config, http: request(app.getHttpServer()), baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}
