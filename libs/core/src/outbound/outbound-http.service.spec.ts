import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { isPrivateAddress } from './address-policy';
import { OutboundHttpService } from './outbound-http.service';

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fc00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['224.0.0.1', true],
    ['not-an-ip', true],
    ['93.184.216.34', false],
    ['2606:2800:220:1:248:1893:25c8:1946', false],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('OutboundHttpService', () => {
  const http = new OutboundHttpService();
  let server: Server;
  let base: string;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/redirect') return res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 500);
      if (req.url === '/big') return res.end('x'.repeat(10_000));
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('refuses plain http and private addresses before any connection', async () => {
    const before = hits;
    expect(await http.send({ url: `${base}/ok`, allowPrivateNetwork: true })).toMatchObject({
      ok: false,
      error: 'refused',
      message: 'Only https:// URLs may be called',
    });
    expect(await http.send({ url: `${base}/ok`, allowHttp: true })).toMatchObject({ ok: false, error: 'refused' });
    expect(await http.send({ url: `http://localhost:${new URL(base).port}/ok`, allowHttp: true })).toMatchObject({
      ok: false,
      error: 'refused',
    });
    expect(hits).toBe(before);
  });

  it('calls a private destination when allowed, without following redirects', async () => {
    expect(await http.send({ url: `${base}/ok`, allowHttp: true, allowPrivateNetwork: true })).toMatchObject({
      ok: true,
      status: 200,
      body: '{"ok":true}',
    });
    expect(await http.send({ url: `${base}/redirect`, allowHttp: true, allowPrivateNetwork: true })).toMatchObject({
      ok: true,
      status: 302,
    });
  });

  it('gives up after the timeout and on bodies over the limit', async () => {
    expect(await http.send({ url: `${base}/slow`, allowHttp: true, allowPrivateNetwork: true, timeoutMs: 200 })).toMatchObject({
      ok: false,
      error: 'timeout',
    });
    expect(await http.send({ url: `${base}/big`, allowHttp: true, allowPrivateNetwork: true, maxBytes: 1000 })).toMatchObject({
      ok: false,
      error: 'tooLarge',
    });
  });

  it('keeps the start of a long answer when asked to truncate', async () => {
    const res = await http.send({ url: `${base}/big`, allowHttp: true, allowPrivateNetwork: true, maxBytes: 1000, truncateBody: true });
    expect(res).toMatchObject({ ok: true, status: 200, body: 'x'.repeat(1000) });
  });

  it('reuses connections with keepAlive without relaxing the address check', async () => {
    const pooled = new OutboundHttpService();
    try {
      const before = hits;
      const refused = await pooled.send({ url: `http://localhost:${new URL(base).port}/ok`, allowHttp: true, keepAlive: true });
      expect(refused).toMatchObject({ ok: false, error: 'refused' });
      expect(hits).toBe(before);
      for (let i = 0; i < 3; i++) {
        expect(await pooled.send({ url: `${base}/ok`, allowHttp: true, allowPrivateNetwork: true, keepAlive: true })).toMatchObject({
          ok: true,
        });
      }
      // The pool of private-allowed calls never serves a call that does not allow them.
      expect(await pooled.send({ url: `http://localhost:${new URL(base).port}/ok`, allowHttp: true, keepAlive: true })).toMatchObject({
        ok: false,
        error: 'refused',
      });
      expect(hits).toBe(before + 3);
    } finally {
      await pooled.onApplicationShutdown();
    }
  });
});
