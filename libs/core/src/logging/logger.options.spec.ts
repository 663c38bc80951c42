import { EventEmitter } from 'node:events';
import { AppConfig } from '../config/app-config';
import { accessLogger, loggedPath, requestLogger } from './logger.options';

function config(level: string): AppConfig {
  return new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', PORTICO_SECRET_KEY: 'k'.repeat(40), LOG_LEVEL: level });
}

function exchange(url: string, headers: Record<string, string> = {}) {
  const req = { url, originalUrl: url, method: 'GET', headers } as never as Parameters<ReturnType<typeof requestLogger>>[0];
  // As Node's ServerResponse, the response knows its request (`res.req`).
  const res = Object.assign(new EventEmitter(), {
    req,
    statusCode: 200,
    headers: {} as Record<string, string>,
    setHeader(name: string, value: string) {
      this.headers[name] = value;
    },
  });
  return { req, res };
}

describe('requestLogger', () => {
  it('echoes a sane x-request-id and replaces anything else with a uuid', () => {
    const log = requestLogger(config('silent'));
    const sane = exchange('/x', { 'x-request-id': 'abc-123' });
    log(sane.req, sane.res as never, () => undefined);
    expect(sane.res.headers['x-request-id']).toBe('abc-123');
    const odd = exchange('/x', { 'x-request-id': 'bad id\n<script>' });
    log(odd.req, odd.res as never, () => undefined);
    expect(odd.res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one access line per response at the level its status deserves, with the path but not the query', () => {
    const cfg = config('warn');
    const lines: Record<string, unknown>[] = [];
    const root = accessLogger(cfg);
    jest.spyOn(root, 'warn').mockImplementation(((o: Record<string, unknown>) => lines.push({ level: 'warn', ...o })) as never);
    jest.spyOn(root, 'info').mockImplementation((() => lines.push({ level: 'info' })) as never);
    const log = requestLogger(cfg);
    const ok = exchange('/api/v1/users?email=secret@example.com');
    log(ok.req, ok.res as never, () => undefined);
    ok.res.emit('finish');
    const refused = exchange('/api/v1/users/1?token=abc');
    log(refused.req, refused.res as never, () => undefined);
    refused.res.statusCode = 404;
    refused.res.emit('finish');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        reqId: refused.res.headers['x-request-id'],
        req: expect.objectContaining({ method: 'GET', url: '/api/v1/users/1' }),
        res: { statusCode: 404 },
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('token=abc');
  });
});

describe('loggedPath', () => {
  it('drops the query and hides a token carried in the path, keeping ids and words', () => {
    const token = 'Qm9vZ2llLXdvb2dpZS10b2tlbi0xMjM0NTY3ODkwYWJj';
    expect(loggedPath(`/invitations/${token}`)).toBe('/invitations/[token]');
    expect(loggedPath(`/invitations/${token}/join?x=1`)).toBe('/invitations/[token]/join');
    expect(loggedPath('/api/v1/organizations/3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60/invitations')).toBe(
      '/api/v1/organizations/3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60/invitations',
    );
    expect(loggedPath('/account/email/confirm?token=abc')).toBe('/account/email/confirm');
    expect(loggedPath('/console/settings/authentication')).toBe('/console/settings/authentication');
  });
});
