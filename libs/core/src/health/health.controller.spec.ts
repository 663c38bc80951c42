import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { HealthController } from './health.controller';

function controller(opts: { database: boolean; redis?: boolean | 'hangs' }) {
  const dataSource = { query: () => (opts.database ? Promise.resolve([{ 1: 1 }]) : Promise.reject(new Error('refused'))) };
  const jobs = {
    available: () => (opts.redis === 'hangs' ? new Promise<boolean>(() => undefined) : Promise.resolve(opts.redis ?? true)),
  };
  const config = new AppConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'sqlite::memory:',
    ...(opts.redis === undefined ? {} : { REDIS_URL: 'redis://127.0.0.1:1' }),
  });
  const res = { statusCode: 200, status: (code: number) => (res.statusCode = code) };
  const health = new HealthController(dataSource as unknown as DataSource, jobs as unknown as JobQueue, config);
  return { ready: () => health.ready(res as unknown as Response), res };
}

describe('HealthController readiness', () => {
  it('is ready on the embedded default (no Redis) when the database answers', async () => {
    const { ready, res } = controller({ database: true });
    expect(await ready()).toEqual({ status: 'ok', database: 'up' });
    expect(res.statusCode).toBe(200);
  });

  it('with REDIS_URL, is ready only when Redis answers too', async () => {
    const up = controller({ database: true, redis: true });
    expect(await up.ready()).toEqual({ status: 'ok', database: 'up', redis: 'up' });
    const down = controller({ database: true, redis: false });
    expect(await down.ready()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Not ready: redis does not answer',
      database: 'up',
      redis: 'down',
    });
    expect(down.res.statusCode).toBe(503);
  });

  it('names everything that is down, and counts a Redis that never answers as down', async () => {
    const { ready, res } = controller({ database: false, redis: 'hangs' });
    expect(await ready()).toMatchObject({ message: 'Not ready: database and redis do not answer', database: 'down', redis: 'down' });
    expect(res.statusCode).toBe(503);
  });
});
