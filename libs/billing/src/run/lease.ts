/**
 * A running run proves it is alive by its heartbeat. One whose heartbeat is older than
 * STALE_AFTER_MS (its process was killed, or lost the database) may be resumed by another
 * process, and the charges it was submitting may be claimed by another run.
 */
export const HEARTBEAT_MS = 3_000;
export const STALE_AFTER_MS = 15_000;

export function staleBefore(now: Date): Date {
  return new Date(now.getTime() - STALE_AFTER_MS);
}
