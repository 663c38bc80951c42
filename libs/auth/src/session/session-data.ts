import 'express-session';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** When the user signed in; the absolute timeout counts from here. */
    authenticatedAt?: number;
    flash?: { kind: 'success' | 'error'; message: string; secret?: { label: string; value: string } };
  }
}
