import 'express-session';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** When the user signed in; the absolute timeout counts from here. */
    authenticatedAt?: number;
    /** Between the password and the authenticator code: who, since when, and where to go after. */
    pending?: { userId: string; at: number; next: string };
    /** An authenticator seed being enrolled, encrypted, until a code confirms it. */
    enrollSecret?: string;
    flash?: { kind: 'success' | 'error'; message: string; secret?: { label: string; value: string } };
  }
}
