import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Normalises one allow-list entry ("10.0.0.5", "10.0.0.0/8", "2001:db8::/32"), or null when it is neither an IP nor a CIDR. */
export function normaliseCallerEntry(entry: string): string | null {
  const text = entry.trim();
  // Only the usual notations: ipaddr.js would also take "10.0.0" or "0x0a.1" as IPv4 addresses.
  if (!isIP(text.split('/')[0])) return null;
  try {
    if (text.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(text);
      return `${unmap(addr).toString()}/${unmap(addr) === addr ? bits : bits - 96}`;
    }
    return ipaddr.isValid(text) ? unmap(ipaddr.parse(text)).toString() : null;
  } catch {
    return null;
  }
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.5, as a dual-stack socket reports IPv4 callers) compares as IPv4. */
function unmap(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** A compiled allow-list: `allows(ip)` for the caller's address. */
export class CallerAllowList {
  private readonly ranges: Range[];

  constructor(entries: string[]) {
    this.ranges = entries.flatMap((e): Range[] => {
      const normal = normaliseCallerEntry(e);
      if (!normal) return [];
      if (normal.includes('/')) return [ipaddr.parseCIDR(normal)];
      const addr = ipaddr.parse(normal);
      return [[addr, addr.kind() === 'ipv4' ? 32 : 128]];
    });
  }

  allows(ip: string | null | undefined): boolean {
    if (!ip || !ipaddr.isValid(ip)) return false;
    const addr = unmap(ipaddr.parse(ip));
    return this.ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  }
}
