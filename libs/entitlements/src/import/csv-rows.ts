import { parse } from 'csv-parse/sync';

export interface CsvRow {
  line: number;
  fields: Record<string, string>;
}

export interface CsvProblem {
  line: number;
  message: string;
}

export const IMPORT_COLUMNS = ['key', 'server', 'class', 'status', 'expiresat', 'organizationid'] as const;
export const MAX_IMPORT_ROWS = 10_000;

/**
 * Reads an import file: a header row naming the columns (any order, any case, `expires_at` or
 * `expiresAt`), then one virtual key per line. A line the CSV reader cannot read (a stray quote,
 * too many fields) is reported by its number and the others go on.
 */
export function readImportCsv(text: string): { rows: CsvRow[]; problems: CsvProblem[]; fatal?: string } {
  const problems: CsvProblem[] = [];
  let header: string[] | null = null;
  let records: { record: string[]; info: { lines: number } }[];
  // A broken quote makes the reader run on to where it can start again: the problem spans every
  // line since the last record read.
  let lastLine = 0;
  try {
    records = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      skip_records_with_error: true,
      on_record: (record: string[], context: { lines: number }) => {
        lastLine = context.lines;
        return record;
      },
      on_skip: (err: { lines?: number; message: string } | undefined) => {
        if (!err) return;
        const first = lastLine + 1;
        const last = err.lines ?? first;
        lastLine = last;
        problems.push({ line: first, message: `Unreadable CSV${last > first ? ` (lines ${first}–${last})` : ''}: ${err.message}` });
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    return { rows: [], problems, fatal: `The file is not readable CSV: ${(err as Error).message}` };
  }
  const rows: CsvRow[] = [];
  for (const { record, info } of records) {
    if (!header) {
      header = record.map((h) => h.toLowerCase().replace(/[\s_-]/g, ''));
      const unknown = header.filter((h) => !(IMPORT_COLUMNS as readonly string[]).includes(h));
      if (!header.includes('key'))
        return { rows: [], problems, fatal: 'The first line must name the columns, with at least “key” (e.g. key,server,class,expiresAt)' };
      if (unknown.length)
        return {
          rows: [],
          problems,
          fatal: `Unknown column(s): ${unknown.join(', ')}. Known: key, server, class, status, expiresAt, organizationId`,
        };
      continue;
    }
    if (record.length > header.length) {
      problems.push({ line: info.lines, message: `${record.length} fields, but the header names ${header.length}` });
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((name, i) => (fields[name] = record[i] ?? ''));
    rows.push({ line: info.lines, fields });
  }
  if (!header) return { rows: [], problems, fatal: 'The file is empty' };
  if (rows.length > MAX_IMPORT_ROWS)
    return { rows: [], problems, fatal: `At most ${MAX_IMPORT_ROWS} lines per import (this file has ${rows.length}): split it` };
  return { rows, problems };
}
