/** Characters of each signature the log keeps: enough to tell two apart, not enough to replay one. */
const SIGNATURE_KEPT = 12;
/** At most this many answer headers, each value cut to VALUE_LIMIT characters. */
const HEADER_LIMIT = 40;
const VALUE_LIMIT = 300;
// Answer headers that may carry a credential of the receiver's.
const HIDDEN = new Set(['set-cookie', 'authorization', 'proxy-authenticate', 'www-authenticate']);

/** The request headers as the delivery log keeps them: each `webhook-signature` shortened. */
export function loggedRequestHeaders(headers: Record<string, string>): Record<string, string> {
  const signature = headers['webhook-signature'];
  if (!signature) return { ...headers };
  const short = signature
    .split(' ')
    .map((s) => `${s.slice(0, SIGNATURE_KEPT)}…`)
    .join(' ');
  return { ...headers, 'webhook-signature': short };
}

/** The answer's headers as the delivery log keeps them: bounded, credentials hidden. */
export function loggedResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers).slice(0, HEADER_LIMIT)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : String(raw);
    kept[name] = HIDDEN.has(name.toLowerCase()) ? '(hidden)' : value.length > VALUE_LIMIT ? `${value.slice(0, VALUE_LIMIT)}…` : value;
  }
  return kept;
}
