import type { Response } from 'supertest';
import type { TestApp } from './test-app';

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

// Keys that would mean a stored secret leaked into an answer.
const SECRET_KEYS = new Set(['password', 'passwordHash', 'secretHash', 'tokenHash', 'autologinSecret']);

/**
 * Watches every response the suite's supertest agent receives and collects what no caller should
 * ever see: a 5xx, a secret in the body, or an /api error that is not `{statusCode, error, message}`.
 * Check the list after each test: `afterEach(() => expect(problems.splice(0)).toEqual([]))`.
 */
export function watchResponses(t: TestApp): string[] {
  const problems: string[] = [];
  const check = (req: { method: string; url: string }, res: Response) => {
    const path = new URL(req.url, 'http://x').pathname;
    const where = `${req.method} ${path} → ${res.status}`;
    if (res.status >= 500) problems.push(`${where}: server error ${JSON.stringify(res.body)}`);
    // The one-time secret of a new API key (or autologin secret) is the only secret an answer may carry.
    const mayHaveSecret = req.method === 'POST' && /\/(api-keys|autologin-secret)$/.test(path);
    for (const key of secretKeys(res.body)) {
      if (key !== 'secret' || !mayHaveSecret) problems.push(`${where}: answer contains "${key}"`);
    }
    if (path.startsWith('/api/') && res.status >= 400) {
      const body = res.body as Record<string, unknown>;
      const wellFormed =
        /application\/json/.test(String(res.headers['content-type'])) &&
        body?.statusCode === res.status &&
        typeof body.error === 'string' &&
        typeof body.message === 'string' &&
        (body.message as string).length > 0;
      if (!wellFormed) problems.push(`${where}: error body is not {statusCode, error, message}: ${res.text?.slice(0, 200)}`);
    }
  };
  const agent = t.http;
  t.http = new Proxy(agent, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !HTTP_METHODS.has(String(prop))) return value;
      return (...args: unknown[]) => {
        const req = value.apply(target, args);
        req.on('response', (res: Response) => check(req, res));
        return req;
      };
    },
  });
  return problems;
}

function secretKeys(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => secretKeys(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEYS.has(k) || k === 'secret') found.push(k);
      secretKeys(v, found);
    }
  }
  return found;
}

/** The answer is the JSON error `{statusCode, error, message}` with this status, its message matching. */
export function expectError(res: Response, status: number, message?: RegExp | string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { statusCode: status, error: expect.any(String), message: expect.any(String) },
  });
  expect(res.headers['content-type']).toMatch(/application\/json/);
  if (message !== undefined) expect(res.body.message).toMatch(message);
}

export interface AuditEventBody {
  id: string;
  at: string;
  actor: { kind: string; id: string; label: string };
  tenantKey: string | null;
  action: string;
  target: { type: string; id: string | null };
  details: Record<string, unknown> | null;
}

/** Audit events for an action (newest first), read through the API as a platform admin. */
export async function auditEvents(t: TestApp, filter: Record<string, string>): Promise<AuditEventBody[]> {
  const res = await t.http
    .get('/api/v1/audit-events')
    .query({ limit: '500', ...filter })
    .set('Authorization', t.admin)
    .expect(200);
  return res.body.items;
}

/** Asserts the write was audited: an event with this action about this target. Returns the newest. */
export async function expectAudited(
  t: TestApp,
  action: string,
  targetId: string,
  details?: Record<string, unknown>,
): Promise<AuditEventBody> {
  const events = (await auditEvents(t, { action })).filter((e) => e.target.id === targetId);
  expect(events.length).toBeGreaterThan(0);
  if (details) expect(events[0].details).toMatchObject(details);
  return events[0];
}
