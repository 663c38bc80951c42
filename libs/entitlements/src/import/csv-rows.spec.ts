import { MAX_IMPORT_ROWS, readImportCsv } from './csv-rows';

describe('readImportCsv', () => {
  it('reads a header in any case and spelling, quoted fields, CRLF and a BOM, with line numbers', () => {
    const csv = '\uFEFFKey,SERVER,class,Expires_At\r\n"a,1",rm.example.com,p,2030-01-01\r\n\r\nb,,,\r\n';
    expect(readImportCsv(csv)).toEqual({
      rows: [
        { line: 2, fields: { key: 'a,1', server: 'rm.example.com', class: 'p', expiresat: '2030-01-01' } },
        { line: 4, fields: { key: 'b', server: '', class: '', expiresat: '' } },
      ],
      problems: [],
    });
  });

  it('reports a line with too many fields and goes on', () => {
    expect(readImportCsv('key,status\na,active,extra\nb,active')).toEqual({
      rows: [{ line: 3, fields: { key: 'b', status: 'active' } }],
      problems: [{ line: 2, message: '3 fields, but the header names 2' }],
    });
  });

  it('reports the lines a broken quote made unreadable, from where it starts', () => {
    const read = readImportCsv('key\na\n"b"x\nc\nd');
    expect(read.rows).toEqual([{ line: 2, fields: { key: 'a' } }]);
    expect(read.problems).toEqual([
      { line: 3, message: expect.stringMatching(/^Unreadable CSV: Invalid Closing Quote/) },
      { line: 4, message: expect.stringMatching(/^Unreadable CSV \(lines 4–5\): Quote Not Closed/) },
    ]);
  });

  it.each([
    ['', /empty/],
    ['server,class\nrm,p', /at least “key”/],
    ['key,colour\nk,red', /Unknown column\(s\): colour/],
    [`key\n${'k\n'.repeat(MAX_IMPORT_ROWS + 1)}`, /At most 10000 lines/],
  ])('refuses the whole file %#', (csv, fatal) => {
    expect(readImportCsv(csv).fatal).toMatch(fatal);
  });
});
