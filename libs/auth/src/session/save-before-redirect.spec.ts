import express from 'express';
import session, { MemoryStore, type SessionData } from 'express-session';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { saveSessionBeforeRedirect } from './save-before-redirect';
import './session-data';

/** A store as slow as a busy database: a write lands 150 ms after it was asked for. */
class SlowStore extends MemoryStore {
  override set(sid: string, data: SessionData, cb?: (err?: unknown) => void): void {
    // Taken when asked, as a database store serializes it.
    const copy = JSON.parse(JSON.stringify(data)) as SessionData;
    setTimeout(() => super.set(sid, copy, cb), 150);
  }
}

/** What a browser does: it follows a redirect as soon as the headers arrive. */
function headersOf(port: number, path: string, cookie?: string): Promise<{ status: number; location?: string; cookie?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: cookie ? { cookie } : {} }, (res) => {
      resolve({ status: res.statusCode ?? 0, location: res.headers.location, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] });
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

function serve(withFix: boolean): Promise<{ port: number; server: Server; store: SlowStore }> {
  const app = express();
  const store = new SlowStore();
  app.use(session({ secret: 'test', store, resave: false, saveUninitialized: false, rolling: true }));
  if (withFix) app.use(saveSessionBeforeRedirect());
  app.get('/sign-in', (req, res) =>
    req.session.regenerate(() => {
      req.session.userId = 'u1';
      res.redirect(303, '/home');
    }),
  );
  app.get('/flash', (req, res) => {
    req.session.flash = { kind: 'success', message: 'secret shown once' };
    res.redirect(303, '/home');
  });
  app.get('/sign-in-then-more', (req, res) =>
    req.session.regenerate(() => {
      req.session.userId = 'u1';
      res.redirect(303, '/home');
      // Changed after the redirect was asked for: express-session's own save must still write it.
      req.session.flash = { kind: 'success', message: 'late' };
    }),
  );
  app.get('/bounce', (req, res) => res.redirect(303, '/home'));
  app.get('/home', (req, res) => res.json({ userId: req.session.userId ?? null, flash: req.session.flash?.message ?? null }));
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, server, store }));
  });
}

/** The JSON the /home page answers with, for a browser holding `cookie`. */
function homeOf(port: number, path: string, cookie?: string): Promise<{ userId: string | null; flash: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: cookie ? { cookie } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as { userId: string | null; flash: string | null }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function followAtOnce(port: number, path: string): Promise<{ userId: string | null; flash: string | null }> {
  const first = await headersOf(port, path);
  expect(first.status).toBe(303);
  return homeOf(port, first.location!, first.cookie);
}

describe('saveSessionBeforeRedirect', () => {
  let fixed: { port: number; server: Server; store: SlowStore };
  let plain: { port: number; server: Server; store: SlowStore };
  beforeAll(async () => {
    fixed = await serve(true);
    plain = await serve(false);
  });
  afterAll(async () => {
    // Let the slow writes still pending (the plain server's) land before closing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const { server } of [fixed, plain]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a browser following a sign-in redirect at once arrives signed in', async () => {
    expect(await followAtOnce(fixed.port, '/sign-in')).toEqual({ userId: 'u1', flash: null });
  });

  it('a change made after the early write is still saved', async () => {
    const first = await headersOf(fixed.port, '/sign-in-then-more');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await homeOf(fixed.port, '/home', first.cookie)).toEqual({ userId: 'u1', flash: 'late' });
  });

  it('a flash set before a redirect is on the next page', async () => {
    expect(await followAtOnce(fixed.port, '/flash')).toEqual({ userId: null, flash: 'secret shown once' });
  });

  it('without it, the same browser would arrive signed out (the race it closes)', async () => {
    expect(await followAtOnce(plain.port, '/sign-in')).toEqual({ userId: null, flash: null });
  });

  it('a redirect that changed nothing does not write a session', async () => {
    const res = await headersOf(fixed.port, '/bounce');
    expect(res.status).toBe(303);
    expect(res.cookie).toBeUndefined();
  });
});
