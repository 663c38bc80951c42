import { billRequestBody, readAnswer } from './tenant-bill-client';

describe('a tenant billing API answer', () => {
  it('accepts {"success": true, "data": {"id", "status"}} only', () => {
    expect(readAnswer(200, '{"success":true,"data":{"id":"b-1","status":"pending"}}')).toEqual({
      kind: 'accepted',
      billId: 'b-1',
      billStatus: 'pending',
    });
    expect(readAnswer(201, '{"success":true,"data":{"id":42}}')).toEqual({ kind: 'accepted', billId: '42', billStatus: null });
  });

  it('sends again (same key) what may have created a bill, or was refused for now', () => {
    for (const [status, body] of [
      [200, 'not json'],
      [200, '{"success":true,"data":{}}'],
      [500, '{"error":"boom"}'],
      [503, ''],
      [429, '{"message":"slow down"}'],
      [409, '{"error":"a request with this key is in progress"}'],
      [408, ''],
    ] as const) {
      expect(readAnswer(status, body)).toMatchObject({ kind: 'retry' });
    }
    // A 5xx or an unreadable success may follow a bill made; a 4xx "not now" made nothing.
    expect(readAnswer(500, '{"error":"boom"}')).toEqual({ kind: 'retry', unknown: true, error: 'The billing API answered 500: boom' });
    expect(readAnswer(503, '')).toMatchObject({ unknown: true });
    expect(readAnswer(200, 'not json')).toMatchObject({ unknown: true });
    for (const status of [408, 409, 425, 429]) expect(readAnswer(status, '')).toMatchObject({ kind: 'retry', unknown: false });
  });

  it('fails at once on a refusal, saying what the API said', () => {
    expect(readAnswer(200, '{"success":false,"error":"Group is closed"}')).toEqual({
      kind: 'rejected',
      error: 'The billing API refused the bill: Group is closed',
    });
    expect(readAnswer(422, '{"errors":["group_id is unknown","currency"]}')).toEqual({
      kind: 'rejected',
      error: 'The billing API answered 422: group_id is unknown; currency',
    });
    expect(readAnswer(401, '')).toEqual({
      kind: 'rejected',
      error: "The billing API answered 401 (check the tenant's billing API user name and password)",
    });
  });

  it('keeps remote text short and free of control characters', () => {
    const answer = readAnswer(400, JSON.stringify({ error: `bad\r\ninjected ${'x'.repeat(1000)}` }));
    expect(answer.kind).toBe('rejected');
    const error = (answer as { error: string }).error;
    expect(error).not.toMatch(/[\r\n]/);
    expect(error.length).toBeLessThanOrEqual(300);
  });
});

describe('the bill sent for a charge', () => {
  it('follows product.md §9, with the month as first and last second', () => {
    expect(
      billRequestBody({ externalUid: 'grp-9', amountCents: 4900, currency: 'EUR', organizationName: 'Acme', period: '2028-02' }),
    ).toEqual({
      group_id: 'grp-9',
      price_cents: 4900,
      currency: 'EUR',
      description: 'Acme: monthly plan, February 2028',
      period_started_at: '2028-02-01T00:00:00Z',
      period_ended_at: '2028-02-29T23:59:59Z',
    });
  });
});
