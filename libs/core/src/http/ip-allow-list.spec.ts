import { AllowEntry, isAllowed, parseAllowEntry } from './ip-allow-list';

const list = (...raw: string[]): AllowEntry[] => raw.map((r) => parseAllowEntry(r)!.entry);

describe('IP allow-list', () => {
  it('normalises addresses and ranges, IPv4 and IPv6', () => {
    expect(parseAllowEntry(' 192.0.2.10 ')?.text).toBe('192.0.2.10');
    expect(parseAllowEntry('10.1.2.3/8')?.text).toBe('10.0.0.0/8');
    expect(parseAllowEntry('2001:DB8::1')?.text).toBe('2001:db8::1');
    expect(parseAllowEntry('2001:db8:abcd::/48')?.text).toBe('2001:db8:abcd::/48');
    expect(parseAllowEntry('::ffff:192.0.2.1')?.text).toBe('192.0.2.1');
    expect(parseAllowEntry('::ffff:192.0.2.0/120')?.text).toBe('192.0.2.0/24');
  });

  it.each(['', 'example.com', '10', '0x0a000001', '300.1.1.1', '10.0.0.0/33', '2001:db8::/129', '1.2.3.4/', 'x'.repeat(70)])(
    'refuses %j',
    (raw) => {
      expect(parseAllowEntry(raw)).toBeNull();
    },
  );

  it('matches addresses and ranges of the same family, mapped IPv4 included', () => {
    const entries = list('192.0.2.10', '10.0.0.0/8', '2001:db8::/32');
    expect(isAllowed(entries, '192.0.2.10')).toBe(true);
    expect(isAllowed(entries, '::ffff:192.0.2.10')).toBe(true);
    expect(isAllowed(entries, '10.200.3.4')).toBe(true);
    expect(isAllowed(entries, '2001:db8:1::5')).toBe(true);
    expect(isAllowed(entries, '192.0.2.11')).toBe(false);
    expect(isAllowed(entries, '11.0.0.1')).toBe(false);
    expect(isAllowed(entries, '2001:db9::1')).toBe(false);
    expect(isAllowed(entries, '::1')).toBe(false);
    expect(isAllowed(entries, null)).toBe(false);
    expect(isAllowed(entries, 'garbage')).toBe(false);
  });

  it('allows every address when the list is empty', () => {
    expect(isAllowed([], '203.0.113.5')).toBe(true);
  });
});
