import { malformedInput, textProblem } from './malformed-input';

describe('textProblem', () => {
  it.each([
    ['plain text', null],
    ['tab\tand\r\nline breaks', null],
    ['😀 a surrogate pair', null],
    ['nul\u0000', 'control'],
    ['bell\u0007', 'control'],
    ['escape\u001b[2J', 'control'],
    ['del\u007f', 'control'],
    ['c1\u0085', 'control'],
    ['lone\ud800', 'surrogate'],
    ['\udc00lone', 'surrogate'],
  ])('%j → %s', (value, expected) => {
    expect(textProblem(value)).toBe(expected);
  });
});

describe('malformedInput', () => {
  const nest = (levels: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i++) value = i % 2 ? { a: value } : [value];
    return value;
  };

  it('accepts 32 levels and refuses 33, without recursion even at a depth that would overflow the stack', () => {
    expect(malformedInput(nest(32), 'the request body')).toBeNull();
    expect(malformedInput(nest(33), 'the request body')).toBe('The request body is nested deeper than 32 levels');
    expect(malformedInput(nest(1_000_000), 'the request body')).toBe('The request body is nested deeper than 32 levels');
  });

  it('names the field holding bad text, nested or in an array, and refuses bad field names', () => {
    expect(malformedInput({ name: 'ok', plan: { currency: 'E\u0000R' } }, 'the request body')).toBe(
      'plan.currency must not contain NUL or other control characters',
    );
    expect(malformedInput({ events: ['a', 'b\ud800'] }, 'the request body')).toBe(
      'events.1 must be well-formed text (it contains a lone UTF-16 surrogate)',
    );
    expect(malformedInput({ 'a\u0000': 1 }, 'the query string')).toBe(
      'A field name in the query string contains control characters or a lone surrogate',
    );
    expect(malformedInput('\u0000', 'the request body')).toBe('the request body must not contain NUL or other control characters');
    expect(malformedInput({ n: 1, b: true, z: null, pem: '-----BEGIN-----\r\nAAA\n-----END-----' }, 'the request body')).toBeNull();
  });
});
