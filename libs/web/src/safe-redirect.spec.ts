import { safeNext } from './safe-redirect';

describe('safeNext', () => {
  it.each([
    ['/console/users?x=1', '/console/users?x=1'],
    ['https://evil.example', '/fallback'],
    ['//evil.example/path', '/fallback'],
    ['/\\evil.example', '/fallback'],
    ['javascript:alert(1)', '/fallback'],
    ['/ok\r\nSet-Cookie: x=1', '/fallback'],
    [undefined, '/fallback'],
  ])('%s → %s', (input, expected) => {
    expect(safeNext(input, '/fallback')).toBe(expected);
  });
});
