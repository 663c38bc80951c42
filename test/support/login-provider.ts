import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { issue, newCa } from './test-pki';

/** PEM material made for one test run by the openssl command line: nothing is checked in. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA, which the provider must not accept. */
  strangerCert: string;
  strangerKey: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a stranger's client certificate. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'portico-pki-'));
  try {
    newCa(dir, 'provider');
    newCa(dir, 'stranger');
    issue(dir, 'provider', 'server', 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    issue(dir, 'provider', 'client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
    issue(dir, 'stranger', 'intruder', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      ca: read('provider.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      strangerCert: read('intruder.crt'),
      strangerKey: read('intruder.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ProviderCall {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: { site_id?: unknown; username?: unknown; password?: unknown };
  clientCertificate: string | null;
}

export interface FakeUser {
  password: string;
  email?: string | null;
  admin?: boolean;
  /** What the provider calls the user in its answer (default: as sent). */
  username?: string;
}

/**
 * A login provider as a partner would run it: HTTPS on 127.0.0.1 with a certificate from the
 * test's own CA, the reference contract on /login, and misbehaving paths for the failure tests.
 */
export class FakeLoginProvider {
  readonly calls: ProviderCall[] = [];
  /** TCP connections accepted, whether or not a request followed. */
  connections = 0;
  users = new Map<string, FakeUser>();
  /** Refusal reasons by username (lower case). */
  reasons = new Map<string, string>();
  requiredToken: { header: string; value: string } | null = null;
  /** What /flaky does now. */
  flaky: 'fail' | 'ok' = 'fail';
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly pki: TestPki,
    private readonly opts: { requireClientCertificate?: boolean } = {},
  ) {}

  get base(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  callsTo(path: string): ProviderCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  async start(): Promise<this> {
    this.server = createServer(
      {
        key: this.pki.serverKey,
        cert: this.pki.serverCert,
        ca: this.pki.ca,
        requestCert: !!this.opts.requireClientCertificate,
        rejectUnauthorized: !!this.opts.requireClientCertificate,
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          let body: ProviderCall['body'] = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = {};
          }
          const peer = (req.socket as TLSSocket).getPeerCertificate?.();
          const path = (req.url ?? '').split('?')[0];
          this.calls.push({
            path,
            headers: req.headers,
            body,
            clientCertificate: peer && 'subject' in peer && peer.subject ? String(peer.subject.CN) : null,
          });
          this.answer(path, body, req.headers, res);
        });
      },
    );
    this.server.on('connection', (socket: Socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A refused client certificate ends in a TLS error on the server: expected, not a test failure.
    this.server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(
    path: string,
    body: ProviderCall['body'],
    headers: ProviderCall['headers'],
    res: import('node:http').ServerResponse,
  ): void {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    switch (path) {
      case '/slow':
        // Answers long after any timeout a test sets; the client gives up first.
        return void setTimeout(() => json(200, { login_successful: true }), 3000).unref();
      case '/error':
        return json(500, { login_successful: true });
      case '/text':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><body>Welcome!</body></html>');
      case '/redirect':
        res.writeHead(302, { location: '/login' });
        return void res.end();
      case '/huge':
        return json(200, { login_successful: false, reason: 'x'.repeat(70 * 1024) });
      case '/flaky':
        if (this.flaky === 'fail') return json(503, { error: 'down' });
        return this.login(body, headers, json);
      case '/login':
        return this.login(body, headers, json);
      default:
        return json(404, { error: 'no such path' });
    }
  }

  private login(body: ProviderCall['body'], headers: ProviderCall['headers'], json: (status: number, value: unknown) => void): void {
    if (this.requiredToken && headers[this.requiredToken.header] !== this.requiredToken.value) {
      return json(200, { login_successful: false, reason: 'Missing access token' });
    }
    if (typeof body.site_id !== 'number' || typeof body.username !== 'string' || typeof body.password !== 'string') {
      return json(200, { login_successful: false, reason: 'Required inputs missing' });
    }
    const name = body.username.trim().toLowerCase();
    const reason = this.reasons.get(name);
    if (reason) return json(200, { login_successful: false, reason });
    const user = this.users.get(name);
    if (!user || user.password !== body.password) return json(200, { login_successful: false, reason: 'Invalid login' });
    json(200, {
      login_successful: true,
      username: user.username ?? body.username,
      email_address: user.email ?? null,
      is_site_administrator: !!user.admin,
    });
  }
}
