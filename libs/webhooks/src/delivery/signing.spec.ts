import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signedHeaders } from './signing';

describe('Standard Webhooks signing', () => {
  const body = JSON.stringify({ type: 'user.created', timestamp: '2025-01-01T00:00:00.000Z', data: { user: { id: 'u1' } } });
  const now = Math.floor(Date.now() / 1000);

  it('makes whsec_ secrets of 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('is verified by the reference implementation, with every secret of a rotation', () => {
    const [oldSecret, newSecret] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signedHeaders([newSecret, oldSecret], 'msg-1', now, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('signs the exact bytes, id and timestamp', () => {
    const secret = newWebhookSecret();
    const headers = signedHeaders([secret], 'msg-1', now, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body + ' ', headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg-2' })).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(now + 1) })).toThrow();
  });
});
