import { safeNext } from './safe-redirect';

describe('safeNext', () => {
  it.each([
    ['/console/users?x=1', '/console/users?x=1'],
    ['/console/users?search=J%C3%BCrgen&offset=50', '/console/users?search=J%C3%BCrgen&offset=50'],
    ['/', '/'],
    ['https://evil.example', '/fallback'],
    ['//evil.example/path', '/fallback'],
    ['/\\evil.example', '/fallback'],
    ['\\\\evil.example', '/fallback'],
    ['/console\\..\\/evil.example', '/fallback'],
    ['javascript:alert(1)', '/fallback'],
    ['/ok\r\nSet-Cookie: x=1', '/fallback'],
    // Browsers drop tabs and line breaks inside a URL: each of these is //evil.example.
    ['/\t/evil.example', '/fallback'],
    ['/\n/evil.example', '/fallback'],
    ['/\r/evil.example', '/fallback'],
    ['/ok\u0000', '/fallback'],
    ['/ok\u007f', '/fallback'],
    [' /ok', '/fallback'],
    ['/ok path', '/fallback'],
    ['/日本', '/fallback'],
    ['/\ud800', '/fallback'],
    ['', '/fallback'],
    [undefined, '/fallback'],
    [['/a', '/b'], '/fallback'],
  ])('%j → %s', (input, expected) => {
    expect(safeNext(input, '/fallback')).toBe(expected);
  });
});
