/** The parameters of a check, as the repository sent them. */
export interface CheckParams {
  server: string;
  className: string | null;
  key: string;
  remoteIp: string | null;
}

export type ParsedCheck = { ok: true; params: CheckParams } | { ok: false; problem: string };

const NAMES = new Set(['server', 'class', 'key', 'remote_ip']);

/**
 * Parses `server=S;class=C;key=K;remote_ip=IP` (`;` or `&` between pairs, percent-encoding, `+` for
 * a space as in any form-encoded query). Empty values count as absent, as in the repository's own
 * parser; a name given twice is refused rather than guessed; unknown names are ignored.
 */
export function parseCheckQuery(rawQuery: string): ParsedCheck {
  const values = new Map<string, string>();
  for (const pair of rawQuery.split(/[;&]/)) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (name === null) return { ok: false, problem: 'malformed percent-encoding' };
    if (!NAMES.has(name)) continue;
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    if (value === null) return { ok: false, problem: 'malformed percent-encoding' };
    if (values.has(name)) return { ok: false, problem: `${name} given more than once` };
    values.set(name, value);
  }
  const present = (name: string) => values.get(name) || null;
  const server = present('server');
  const key = present('key');
  if (!server) return { ok: false, problem: 'server missing' };
  if (!key) return { ok: false, problem: 'key missing' };
  return { ok: true, params: { server, className: present('class'), key, remoteIp: present('remote_ip') } };
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** The same format for a delegated check: `;` between pairs, every value percent-encoded. */
export function formatCheckQuery(params: CheckParams): string {
  const pairs = [`server=${encodeURIComponent(params.server)}`];
  if (params.className) pairs.push(`class=${encodeURIComponent(params.className)}`);
  pairs.push(`key=${encodeURIComponent(params.key)}`);
  if (params.remoteIp) pairs.push(`remote_ip=${encodeURIComponent(params.remoteIp)}`);
  return pairs.join(';');
}
