import { CallerAllowList, normaliseCallerEntry } from './caller-access';

describe('normaliseCallerEntry', () => {
  it.each([
    [' 203.0.113.5 ', '203.0.113.5'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::ffff:10.0.0.5', '10.0.0.5'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
  ])('%s → %s', (entry, normal) => {
    expect(normaliseCallerEntry(entry)).toBe(normal);
  });

  it.each(['example.com', '10.0.0.0/33', '10.0.0', '', '1.2.3.4/x', '*'])('refuses %j', (entry) => {
    expect(normaliseCallerEntry(entry)).toBeNull();
  });
});

describe('CallerAllowList', () => {
  const list = new CallerAllowList(['203.0.113.5', '10.20.0.0/16', '2001:db8::/32']);

  it.each([
    ['203.0.113.5', true],
    ['203.0.113.6', false],
    ['10.20.255.1', true],
    ['10.21.0.1', false],
    ['::ffff:10.20.1.1', true],
    ['::ffff:203.0.113.6', false],
    ['2001:db8::42', true],
    ['2001:db9::1', false],
    ['127.0.0.1', false],
    [null, false],
    ['garbage', false],
  ])('%s → %s', (ip, allowed) => {
    expect(list.allows(ip)).toBe(allowed);
  });
});
