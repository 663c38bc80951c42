import { AllowEntry, isAllowed, parseAllowEntry } from '@portico/core';

/** Normalises one allow-list entry ("10.0.0.5", "10.0.0.0/8", "2001:db8::/32"), or null when it is neither an IP nor a CIDR. */
export function normaliseCallerEntry(entry: string): string | null {
  return parseAllowEntry(entry)?.text ?? null;
}

/** A server's compiled caller allow-list (core's one IP allow-list): `allows(ip)` for the caller's address. */
export class CallerAllowList {
  private readonly entries: AllowEntry[];

  constructor(entries: string[]) {
    this.entries = entries.map((e) => parseAllowEntry(e)?.entry).filter((e): e is AllowEntry => !!e);
  }

  /** A list with no valid entry lets nobody in (an empty list means no CallerAllowList at all). */
  allows(ip: string | null | undefined): boolean {
    return this.entries.length > 0 && isAllowed(this.entries, ip);
  }
}
