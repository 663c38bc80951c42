import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the fake does with the next bill for a group: answer with a status (500, 422…), refuse
 * with `{"success": false}`, or `hang`: create the bill but answer only after `hangMs` (a client
 * timeout whose outcome is unknown to the caller).
 */
export type Scripted = number | 'hang' | 'refuse';

export interface ReceivedBill {
  key: string | null;
  authorization: string | null;
  contentType: string | null;
  body: Record<string, unknown>;
}

/**
 * A tenant's billing API on 127.0.0.1, as product.md §9 describes it: `POST {base}/account/bills`
 * with HTTP Basic, one bill per Idempotency-Key (a key seen again answers the bill it made), and
 * `{"success": true, "data": {"id", "status"}}`. It counts what it receives, so a test can tell a
 * bill made twice from a request sent twice.
 */
export class FakeBillingApi {
  readonly requests: ReceivedBill[] = [];
  /** Bills made, by Idempotency-Key. */
  readonly bills = new Map<string, { id: string; body: Record<string, unknown> }>();
  /** Every answer waits this long (a slow API). */
  delayMs = 0;
  hangMs = 1500;
  /** Answer every bill with this status (an API that is down). */
  failWith: number | null = null;
  private readonly scripts = new Map<string, Scripted[]>();
  private server: Server | null = null;
  private next = 1;

  constructor(
    readonly username = 'portico-billing',
    readonly password = 'billing-secret-0123',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** The base URL to configure as the tenant's billingApi.url. */
  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/api`;
  }

  /** The settings body that points a tenant at this API. */
  get setting(): Record<string, unknown> {
    return { url: this.url, username: this.username, password: this.password, allowPrivateNetwork: true };
  }

  /** The next answers for bills of this group, in order; after them, normal service. */
  script(groupId: string, ...answers: Scripted[]): void {
    this.scripts.set(groupId, answers);
  }

  billsFor(groupId: string): { key: string; id: string }[] {
    return [...this.bills.entries()].filter(([, b]) => b.body.group_id === groupId).map(([key, b]) => ({ key, id: b.id }));
  }

  requestsFor(groupId: string): ReceivedBill[] {
    return this.requests.filter((r) => r.body.group_id === groupId);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // Credentials first, as most APIs check them, whatever the route.
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(res, 401, { success: false, error: 'Invalid credentials' });
    if (req.method !== 'POST' || req.url !== '/api/account/bills') return send(res, 404, { success: false, error: 'Not found' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, { success: false, error: 'Body is not JSON' });
    }
    const key = header(req, 'idempotency-key');
    this.requests.push({ key, authorization: header(req, 'authorization'), contentType: header(req, 'content-type'), body });
    if (this.delayMs) await sleep(this.delayMs);
    if (this.failWith) return send(res, this.failWith, { success: false, error: 'Down for maintenance' });
    const scripted = this.scripts.get(String(body.group_id))?.shift();
    if (typeof scripted === 'number') return send(res, scripted, { success: false, error: `Scripted ${scripted}` });
    if (scripted === 'refuse') return send(res, 200, { success: false, error: 'Group is closed' });
    const bill = this.billFor(key, body);
    if (scripted === 'hang') await sleep(this.hangMs);
    send(res, 200, { success: true, data: { id: bill.id, status: 'pending' } });
  }

  private billFor(key: string | null, body: Record<string, unknown>): { id: string } {
    const existing = key ? this.bills.get(key) : undefined;
    if (existing) return existing;
    const bill = { id: `bill-${this.next++}`, body };
    this.bills.set(key ?? `no-key-${bill.id}`, bill);
    return bill;
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
