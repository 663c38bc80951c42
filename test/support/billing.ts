import { DataSource } from 'typeorm';
import type { TestApp } from './test-app';

export interface RunBody {
  id: string;
  period: string;
  kind: string;
  trigger: string;
  status: string;
  counts: { organizations: number; alreadyBilled: number; direct: number; submitted: number; failed: number; pending: number };
  totals: { currency: string; route: string; count: number; amountCents: number }[];
  lastError: string | null;
}

export interface ChargeBody {
  id: string;
  organizationId: string;
  organizationName: string;
  tenantKey: string | null;
  period: string;
  amountCents: number;
  currency: string;
  route: 'tenant' | 'direct';
  status: 'pending' | 'submitted' | 'open' | 'failed';
  externalBillId: string | null;
  attempts: number;
  lastError: string | null;
  runId: string | null;
}

/** Polls a run through the API until it is completed or failed. */
export async function waitForRun(t: TestApp, id: string, timeoutMs = 30_000): Promise<RunBody> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.http.get(`/api/v1/billing/runs/${id}`).set('Authorization', t.admin);
    if (res.status !== 200) throw new Error(`GET run ${id}: ${res.status} ${res.text}`);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    if (Date.now() > until) throw new Error(`run ${id} still ${res.body.status} after ${timeoutMs} ms: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a run through the API and waits for its end. */
export async function runPeriod(t: TestApp, period: string): Promise<RunBody> {
  const res = await t.http.post('/api/v1/billing/runs').set('Authorization', t.admin).send({ period });
  if (res.status !== 201) throw new Error(`POST run: ${res.status} ${res.text}`);
  return waitForRun(t, res.body.id);
}

/** Every charge the caller sees with these filters (all pages). */
export async function chargesOf(t: TestApp, auth: string, query: Record<string, string> = {}): Promise<ChargeBody[]> {
  const all: ChargeBody[] = [];
  for (;;) {
    const res = await t.http
      .get('/api/v1/billing/charges')
      .query({ limit: '500', ...query, offset: String(all.length) })
      .set('Authorization', auth);
    if (res.status !== 200) throw new Error(`GET charges: ${res.status} ${res.text}`);
    all.push(...res.body.items);
    if (!res.body.items.length || all.length >= res.body.total) return all;
  }
}

/** Domain events written to the outbox, read straight from the database (the webhooks module delivers them). */
export async function outboxEvents(t: TestApp, name: string): Promise<{ tenantId: string | null; data: { charge: ChargeBody } }[]> {
  const rows: { tenant_id: string | null; data: string }[] = await t.app
    .get(DataSource)
    .query(`SELECT tenant_id, data FROM outbox_events WHERE name = '${name.replace(/'/g, "''")}' ORDER BY occurred_at`);
  return rows.map((r) => ({ tenantId: r.tenant_id, data: JSON.parse(r.data) }));
}

/** A tenant's billing API setting, through the API as an administrator sets it. */
export async function setBillingApi(t: TestApp, tenantKey: string, billingApi: Record<string, unknown> | null): Promise<void> {
  const res = await t.http.put(`/api/v1/tenants/${tenantKey}/settings`).set('Authorization', t.admin).send({ billingApi });
  if (res.status !== 200) throw new Error(`PUT settings: ${res.status} ${res.text}`);
}
