/** What the provider said, when it said something the contract allows. */
export type ContractAnswer =
  | { loginSuccessful: false; reason: string | null }
  | { loginSuccessful: true; username: string | null; emailAddress: string | null; isSiteAdministrator: boolean | null };

export type ParsedAnswer = { ok: true; answer: ContractAnswer } | { ok: false; failure: 'status' | 'malformed'; message: string };

const MAX_TEXT = 500;

/**
 * Reads a provider's HTTP answer by the contract: 200 with a JSON object whose `login_successful`
 * is a boolean. Anything else is a failed login; the message says why, for the log. Optional
 * fields of the wrong type count as absent (the reference allows null or empty values there).
 */
export function parseProviderAnswer(status: number, headers: Record<string, string | string[] | undefined>, body: string): ParsedAnswer {
  if (status !== 200) {
    const location = typeof headers.location === 'string' ? ` to ${headers.location.slice(0, 200)}` : '';
    const why = status >= 300 && status < 400 ? `redirected${location} (redirects are not followed)` : `answered HTTP ${status}`;
    return { ok: false, failure: 'status', message: `The provider ${why}; only 200 is an answer` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, failure: 'malformed', message: 'The provider’s answer is not JSON' };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return { ok: false, failure: 'malformed', message: 'The provider’s answer is not a JSON object' };
  const o = parsed as Record<string, unknown>;
  if (typeof o.login_successful !== 'boolean')
    return { ok: false, failure: 'malformed', message: 'The provider’s answer has no boolean login_successful' };
  if (!o.login_successful) return { ok: true, answer: { loginSuccessful: false, reason: cleanText(o.reason) } };
  return {
    ok: true,
    answer: {
      loginSuccessful: true,
      username: cleanText(o.username),
      emailAddress: cleanText(o.email_address),
      isSiteAdministrator: typeof o.is_site_administrator === 'boolean' ? o.is_site_administrator : null,
    },
  };
}

/** A provider's text as Portico shows it: one line, bounded, or null when empty. */
export function cleanText(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!text) return null;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
