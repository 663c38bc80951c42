import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  // Payloads are whatever the event carries; tests read into them freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: { type: string; timestamp: string; data: Record<string, any> };
  path: string;
}

/** Answers one request: return nothing to answer 204; write to `res` yourself for anything else. */
export type Responder = (req: ReceivedWebhook, res: ServerResponse, index: number) => void | Promise<void>;

/** A webhook receiver on 127.0.0.1 that records every request and answers as the test says. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server: Server;
  private port = 0;

  constructor(public respond: Responder = () => undefined) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: ReceivedWebhook['json'];
        try {
          json = JSON.parse(body);
        } catch {
          json = { type: '', timestamp: '', data: {} };
        }
        const hook = { headers: req.headers, body, json, path: req.url ?? '/' };
        this.received.push(hook);
        void Promise.resolve(this.respond(hook, res, this.received.length - 1)).then(() => {
          if (!res.headersSent && !res.writableEnded) res.writeHead(204).end();
        });
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get portNumber(): number {
    return this.port;
  }

  of(type: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.json.type === type);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Polls until `check` returns a truthy value (or throws its last error after `timeoutMs`). */
type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000, what = 'the condition'): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      if (last) throw last;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(50);
  }
}
