import type { Session, SessionData } from 'express-session';
import type { FederatedIdentity } from '../../federation/federated-identity';
import type { ProvisioningPreview } from '../../federation/federated-provisioning';

/** A sign-in this browser started at a tenant's provider: what its answer must match. */
export interface PendingOidcSignIn {
  state: string;
  tenantId: string;
  nonce: string;
  codeVerifier: string;
  purpose: 'login' | 'test';
  next: string;
  at: number;
}

/** What a console test sign-in found: the claims and what a real sign-in would do. */
export interface OidcTestResult {
  id: string;
  at: string;
  tenantId: string;
  issuer: string;
  subject: string;
  identity: FederatedIdentity;
  claims: Record<string, unknown>;
  preview: ProvisioningPreview;
}

declare module 'express-session' {
  interface SessionData {
    /** Tenant OpenID Connect sign-ins started in this browser, each answered once. */
    oidcPending?: PendingOidcSignIn[];
    /** Console test sign-ins' results, each shown once. */
    oidcTestResults?: OidcTestResult[];
  }
}

// The provider has this long to send the browser back.
const PENDING_TTL_MS = 10 * 60_000;
// A few sign-ins in several tabs at once; older ones give way.
const MAX_PENDING = 5;

type BrowserSession = Session & Partial<SessionData>;

/** Remembers a started sign-in in the browser's session (its state, nonce and PKCE verifier never leave the server). */
export function rememberPending(session: BrowserSession, pending: PendingOidcSignIn, now: number): void {
  const live = (session.oidcPending ?? []).filter((p) => now - p.at < PENDING_TTL_MS);
  session.oidcPending = [...live, pending].slice(-MAX_PENDING);
}

/** Takes the sign-in an answer's `state` names, once: a replayed answer or one from another browser finds nothing. */
export function takePending(session: BrowserSession, state: string, tenantId: string, now: number): PendingOidcSignIn | null {
  const list = session.oidcPending ?? [];
  const found = list.find((p) => p.state === state && p.tenantId === tenantId);
  if (!found) return null;
  session.oidcPending = list.filter((p) => p !== found);
  return now - found.at < PENDING_TTL_MS ? found : null;
}

export function keepTestResult(session: BrowserSession, result: OidcTestResult): void {
  session.oidcTestResults = [...(session.oidcTestResults ?? []), result].slice(-3);
}

export function takeTestResult(session: BrowserSession, id: string, tenantId: string): OidcTestResult | null {
  const list = session.oidcTestResults ?? [];
  const found = list.find((r) => r.id === id && r.tenantId === tenantId) ?? null;
  if (found) session.oidcTestResults = list.filter((r) => r !== found);
  return found;
}
