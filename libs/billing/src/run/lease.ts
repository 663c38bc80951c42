/**
 * A running run proves it is alive by its heartbeat (every BILLING_HEARTBEAT_MS). One whose
 * heartbeat is older than BILLING_STALE_AFTER_MS (its process was killed, or lost the database) may
 * be taken over by another process, and the charges it was submitting claimed by another run.
 */
export function staleBefore(now: Date, staleAfterMs: number): Date {
  return new Date(now.getTime() - staleAfterMs);
}
