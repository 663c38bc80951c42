import ipaddr from 'ipaddr.js';

// The one IP allow-list: Portico as an external login provider and the entitlement check's callers.

type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type AllowEntry = { kind: 'address'; address: Address } | { kind: 'range'; range: [Address, number] };

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1, as dual-stack sockets report IPv4 peers) is its IPv4 address. */
function plain(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

/**
 * One allow-list entry, normalised: an address (IPv4 or IPv6) or a CIDR range. The host bits of a
 * range are cleared (10.1.2.3/8 is 10.0.0.0/8), so the stored form says what it matches.
 */
export function parseAllowEntry(raw: string): { entry: AllowEntry; text: string } | null {
  const value = raw.trim();
  if (!value || value.length > 64) return null;
  if (value.includes('/')) {
    try {
      const [address, bits] = ipaddr.parseCIDR(value);
      const base = plain(address);
      const prefix = base.kind() !== address.kind() ? bits - 96 : bits;
      if (prefix < 0) return null;
      const network =
        base.kind() === 'ipv4'
          ? ipaddr.IPv4.networkAddressFromCIDR(`${base.toString()}/${prefix}`)
          : ipaddr.IPv6.networkAddressFromCIDR(`${base.toString()}/${prefix}`);
      return { entry: { kind: 'range', range: [network, prefix] }, text: `${network.toString()}/${prefix}` };
    } catch {
      return null;
    }
  }
  if (!ipaddr.isValid(value)) return null;
  // Only the dotted-quad IPv4 form: ipaddr.js also reads "10" or "0x0a000001" as addresses.
  if (!value.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(value)) return null;
  const address = plain(ipaddr.parse(value));
  return { entry: { kind: 'address', address }, text: address.toString() };
}

/** Whether the caller's address (req.ip, under TRUST_PROXY) is on the list. An empty list allows every address. */
export function isAllowed(entries: AllowEntry[], address: string | null | undefined): boolean {
  if (!entries.length) return true;
  if (!address || !ipaddr.isValid(address)) return false;
  const client = plain(ipaddr.parse(address));
  return entries.some((e) => {
    if (e.kind === 'address') return e.address.kind() === client.kind() && e.address.toString() === client.toString();
    const [network] = e.range;
    return network.kind() === client.kind() && client.match(e.range as [ipaddr.IPv4, number] & [ipaddr.IPv6, number]);
  });
}
