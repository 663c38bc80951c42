import 'express-session';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** When the user signed in; the absolute timeout counts from here. */
    authenticatedAt?: number;
    /**
     * How the user signed in, as RFC 8176 methods (`pwd`, `otp`, `mfa`; `ext` for a sign-in another
     * system vouched for: SAML, a portal's autologin). OpenID Connect ID tokens carry it as `amr`.
     */
    amr?: string[];
    /** Between the password and the authenticator code: who, since when, where to go after, and how the first step went. */
    pending?: { userId: string; at: number; next: string; amr?: string[] };
    /** The browser that signed in and the address it last came from, for the sessions page. */
    device?: { userAgent: string; ip: string | null };
    /** A platform admin who must set up an authenticator before the console opens (requireAuthenticatorForAdmins). */
    authenticatorRequired?: boolean;
    /** Fresh recovery codes, encrypted, until the page that shows them once has done so. */
    recoveryCodes?: string;
    /** An authenticator seed being enrolled, encrypted, until a code confirms it. */
    enrollSecret?: string;
    flash?: { kind: 'success' | 'warning' | 'error'; message: string; secret?: { label: string; value: string } };
  }
}
