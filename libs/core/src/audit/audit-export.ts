import { Injectable, Logger } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import type { Response } from 'express';
import { once } from 'node:events';
import { Clock } from '../time/clock';
import type { AuditEvent } from './audit-event.entity';
import { AuditCursor, AuditRepository, AuditSelection } from './audit.repository';
import { auditEventView } from './audit.service';

export const AUDIT_EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

const PAGE_ROWS = 1_000;

const CSV_COLUMNS = [
  'id',
  'at',
  'actor_kind',
  'actor_id',
  'actor_label',
  'tenant_key',
  'action',
  'target_type',
  'target_id',
  'ip',
  'details',
] as const;

/**
 * Streams the audit log as NDJSON or CSV, oldest first, one page of rows at a time: memory stays
 * the same for any range, and a slow reader slows the reading down (the next page waits for the
 * socket to drain) instead of piling the log up in memory.
 */
@Injectable()
export class AuditExporter {
  private readonly logger = new Logger('AuditExport');

  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
  ) {}

  async stream(selection: AuditSelection, format: AuditExportFormat, res: Response): Promise<void> {
    const stamp = this.clock.now().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="audit-events-${stamp}.${format}"`);
    res.setHeader('Cache-Control', 'no-store');
    let closed = false;
    res.once('close', () => (closed = true));
    try {
      if (format === 'csv') await write(res, stringify([[...CSV_COLUMNS]]));
      let cursor: AuditCursor | null = null;
      while (!closed) {
        const rows = await this.repo.after(selection, cursor, PAGE_ROWS);
        if (rows.length) await write(res, format === 'csv' ? csvRows(rows) : ndjsonRows(rows));
        if (rows.length < PAGE_ROWS) break;
        const last = rows[rows.length - 1];
        cursor = { at: last.at, id: last.id };
      }
      res.end();
    } catch (err) {
      // The status line is gone: all a reader can be told is that the file is cut short.
      this.logger.error(`Audit export stopped: ${err instanceof Error ? err.message : String(err)}`);
      res.destroy();
    }
  }
}

/** Writes a chunk; when the socket's buffer is full, waits until it drains (or the reader goes away). */
async function write(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return;
  await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

function ndjsonRows(rows: AuditEvent[]): string {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(auditEventView(row))}\n`;
  return out;
}

function csvRows(rows: AuditEvent[]): string {
  return stringify(
    rows.map((e) =>
      [
        e.id,
        e.at.toISOString(),
        e.actorKind,
        e.actorId,
        e.actorLabel,
        e.tenantKey ?? '',
        e.action,
        e.targetType,
        e.targetId ?? '',
        e.ip ?? '',
        e.details ? JSON.stringify(e.details) : '',
      ].map(inert),
    ),
  );
}

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return first) gets
 * a leading apostrophe, as OWASP's CSV-injection advice says; the text is otherwise unchanged.
 */
export function inert(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
