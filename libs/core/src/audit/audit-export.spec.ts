import { inert } from './audit-export';

describe('inert (CSV formula injection)', () => {
  it.each(['=HYPERLINK("http://evil.example")', '+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'])(
    'disarms %j with a leading apostrophe',
    (cell) => {
      expect(inert(cell)).toBe(`'${cell}`);
    },
  );

  it.each(['user.created', 'tenant:acme/tk_1', '{"name":"=x"}', '', 'a=b'])('leaves %j alone', (cell) => {
    expect(inert(cell)).toBe(cell);
  });
});
