import { ProviderCallFailed } from './oidc-relying-party';

/** A check Portico makes itself on top of the library's. */
export class TokenRefused extends Error {
  constructor(
    readonly claim: string,
    message: string,
  ) {
    super(message);
  }
}

/** The error and its causes, outermost first (openid-client wraps oauth4webapi's, which carry the claim). */
function chainOf(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let c = err; c && chain.length < 6; c = (c as { cause?: unknown }).cause) chain.push(c);
  return chain;
}

// The first rule that matches the failing claim, or the words of the failure, names the reason.
const RULES: { reason: string; claims: string[]; words: RegExp }[] = [
  { reason: 'nonce-mismatch', claims: ['nonce'], words: /nonce/ },
  { reason: 'azp-mismatch', claims: ['azp'], words: /"azp"/ },
  { reason: 'audience-mismatch', claims: ['aud'], words: /"aud"/ },
  { reason: 'issuer-mismatch', claims: ['iss'], words: /"iss"/ },
  { reason: 'token-time-invalid', claims: ['exp', 'iat', 'nbf', 'auth_time'], words: /timestamp|"exp"|"iat"|"nbf"/ },
  { reason: 'algorithm-refused', claims: [], words: /"alg"|\balg(orithm)?\b|unsupported JWS/i },
  { reason: 'signature-invalid', claims: [], words: /signature|"kid"|no applicable key|\bkey/i },
];

/** Why a provider's answer was refused: the audit trail's reason code, and the most specific words for it. */
export function explainFailure(err: unknown): { reason: string; detail: string } {
  const chain = chainOf(err);
  const call = chain.find((c): c is ProviderCallFailed => c instanceof ProviderCallFailed);
  if (call) {
    const reason = call.kind === 'timeout' ? 'provider-timeout' : call.kind === 'tooLarge' ? 'response-too-large' : 'provider-unreachable';
    return { reason, detail: call.message };
  }
  // The provider's own OAuth error (the token endpoint refused the code or the client): its words.
  const oauth = chain.find(
    (c): c is { error: string; error_description?: string } => typeof (c as { error?: unknown })?.error === 'string',
  );
  if (oauth) {
    const said = `${oauth.error}${oauth.error_description ? `: ${oauth.error_description}` : ''}`;
    return { reason: 'token-request-refused', detail: `the provider refused the token request (${said.slice(0, 250)})` };
  }
  const errors = chain.filter((c): c is Error => c instanceof Error);
  const detail = (errors.at(-1)?.message ?? String(err)).split('\n')[0].slice(0, 300);
  const claim = chain.map((c) => (c as { claim?: unknown })?.claim).find((c): c is string => typeof c === 'string');
  const words = errors.map((e) => e.message).join(' ');
  const rule = RULES.find((r) => (claim && r.claims.includes(claim)) || r.words.test(words));
  return { reason: rule?.reason ?? 'invalid-response', detail };
}
