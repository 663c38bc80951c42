import { Injectable } from '@nestjs/common';
import { OutboundHttpService } from '@portico/core';
import type { TenantBillingApi } from '@portico/tenants';
import type { Charge } from '../entities/charge.entity';
import { periodLabel, periodRange } from '../period';

/** What became of one POST {url}/account/bills. */
export type BillOutcome =
  | { kind: 'accepted'; billId: string; billStatus: string | null }
  /** The API said no, and asking again would get the same answer. */
  | { kind: 'rejected'; error: string }
  /**
   * Worth another try with the same Idempotency-Key. `unknown`: the call may have made the bill
   * (no answer in time, a 5xx, an unreadable success); false only when it provably made nothing.
   */
  | { kind: 'retry'; error: string; unknown: boolean };

/**
 * What a check of a tenant's billing API found. The contract has no dry request (every POST to
 * /account/bills is a real bill), so a check sends none: see TenantBillClient.check.
 */
export interface BillingApiCheck {
  /** false: bills would not get through as configured; `message` says why. */
  ok: boolean;
  message: string;
}

const CHECK_TIMEOUT_MS = 5000;

// Answers that say "not now" rather than "no": the request was turned away before any work.
const RETRYABLE_STATUS = new Set([408, 409, 425, 429]);
// Failures to open a connection: nothing was sent. Anything later (a reset, a hang-up) may follow a bill.
const NOT_CONNECTED = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/;
const MAX_ERROR = 300;

/** The bill a tenant's billing API receives for a charge; always the same body for the same charge. */
export function billRequestBody(charge: Pick<Charge, 'externalUid' | 'amountCents' | 'currency' | 'organizationName' | 'period'>) {
  const { start, next } = periodRange(charge.period);
  return {
    group_id: charge.externalUid,
    price_cents: charge.amountCents,
    currency: charge.currency,
    description: `${charge.organizationName}: monthly plan, ${periodLabel(charge.period)}`,
    period_started_at: iso(start),
    period_ended_at: iso(new Date(next.getTime() - 1000)),
  };
}

/** Calls a tenant's billing API for one charge (product.md §9), through the one outbound client. */
@Injectable()
export class TenantBillClient {
  constructor(private readonly http: OutboundHttpService) {}

  async submit(api: TenantBillingApi, charge: Charge, timeoutMs: number): Promise<BillOutcome> {
    const result = await this.http.send({
      url: billsUrl(api),
      method: 'POST',
      headers: {
        authorization: basic(api),
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': charge.id,
      },
      body: JSON.stringify(billRequestBody(charge)),
      timeoutMs,
      allowHttp: api.allowPrivateNetwork,
      allowPrivateNetwork: api.allowPrivateNetwork,
      // A run sends thousands of bills to a few APIs: kept-alive connections, each still address-checked.
      keepAlive: true,
    });
    if (!result.ok) {
      if (result.error === 'refused' || result.error === 'invalidUrl') {
        return { kind: 'rejected', error: clip(`The billing API URL cannot be called: ${result.message}`) };
      }
      if (result.error === 'timeout') {
        return {
          kind: 'retry',
          unknown: true,
          error: `No answer within ${timeoutMs} ms; the bill may exist: re-sent with the same Idempotency-Key`,
        };
      }
      return {
        kind: 'retry',
        unknown: !NOT_CONNECTED.test(result.message),
        error: clip(`The billing API could not be reached (${result.error}): ${result.message}`),
      };
    }
    return readAnswer(result.status, result.body);
  }

  /**
   * Checks what can be checked without making a bill: the URL passes the outbound policy, the host
   * answers (over TLS for https, the certificate verified), and a GET of /account/bills with the
   * credentials is not refused as unauthorized.
   */
  async check(api: TenantBillingApi): Promise<BillingApiCheck> {
    const url = billsUrl(api);
    const result = await this.http.send({
      url,
      method: 'GET',
      headers: { authorization: basic(api), accept: 'application/json' },
      timeoutMs: CHECK_TIMEOUT_MS,
      maxBytes: 4096,
      truncateBody: true,
      allowHttp: api.allowPrivateNetwork,
      allowPrivateNetwork: api.allowPrivateNetwork,
    });
    if (!result.ok) {
      if (result.error === 'refused' || result.error === 'invalidUrl')
        return { ok: false, message: `Portico may not call ${url}: ${result.message}.` };
      if (result.error === 'timeout') return { ok: false, message: `${url} did not answer within ${CHECK_TIMEOUT_MS / 1000} seconds.` };
      return { ok: false, message: clip(`${url} could not be reached: ${result.message}.`) };
    }
    const over = url.startsWith('https:') ? 'over TLS with a valid certificate' : 'over plain HTTP (allowed for a private network)';
    const answered = `${url} answered ${over} with HTTP ${result.status}`;
    if (result.status === 401 || result.status === 403)
      return { ok: false, message: `${answered}: it refused the user name and password.` };
    if (result.status >= 500) return { ok: false, message: `${answered}: a server error, so bills would fail now too.` };
    return { ok: true, message: `${answered} and did not refuse the user name and password.` };
  }
}

function billsUrl(api: TenantBillingApi): string {
  return `${api.url.replace(/\/+$/, '')}/account/bills`;
}

function basic(api: TenantBillingApi): string {
  return `Basic ${Buffer.from(`${api.username}:${api.password}`).toString('base64')}`;
}

/** The answer to a bill: success `{"success": true, "data": {"id", "status"}}`, anything else a reason. */
export function readAnswer(status: number, body: string): BillOutcome {
  const json = parse(body);
  const said = json ? describe(json) : null;
  if (status >= 200 && status < 300) {
    const data = json?.data as Record<string, unknown> | undefined;
    const id = data && (typeof data.id === 'string' || typeof data.id === 'number') ? String(data.id) : null;
    if (json?.success === true && id) {
      return {
        kind: 'accepted',
        billId: id.slice(0, 255),
        billStatus: typeof data!.status === 'string' ? data!.status.slice(0, 64) : null,
      };
    }
    if (json?.success === false) return { kind: 'rejected', error: clip(`The billing API refused the bill${said ? `: ${said}` : ''}`) };
    // A 2xx we cannot read may still have created the bill: ask again with the same key.
    return { kind: 'retry', unknown: true, error: clip(`The billing API answered ${status} without {"success": true, "data": {"id"}}`) };
  }
  const reason = clip(`The billing API answered ${status}${said ? `: ${said}` : ''}`);
  // A 5xx may come after the bill was made (Stripe calls its outcome indeterminate): only a 4xx proves a refusal.
  if (status >= 500) return { kind: 'retry', unknown: true, error: reason };
  if (RETRYABLE_STATUS.has(status)) return { kind: 'retry', unknown: false, error: reason };
  if (status === 401 || status === 403) {
    return { kind: 'rejected', error: clip(`${reason} (check the tenant's billing API user name and password)`) };
  }
  return { kind: 'rejected', error: reason };
}

function parse(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

// The API's own words, when it gave any: {"error": "..."}, {"message": "..."} or {"errors": [...]}.
function describe(json: Record<string, unknown>): string | null {
  for (const key of ['error', 'message', 'errors']) {
    const value = json[key];
    if (typeof value === 'string' && value) return value;
    if (Array.isArray(value) && value.length) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('; ');
    if (value && typeof value === 'object') return JSON.stringify(value);
  }
  return null;
}

function clip(text: string): string {
  // Control characters from a remote answer never reach a log line or a page.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clean.length > MAX_ERROR ? `${clean.slice(0, MAX_ERROR - 1)}…` : clean;
}

function iso(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}
