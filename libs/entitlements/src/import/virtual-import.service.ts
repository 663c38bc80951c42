import { Injectable } from '@nestjs/common';
import { AuditService, ConflictError, InvalidInputError, isUniqueViolation, RequestContext, TransactionService } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantRef, TenantsService } from '@portico/tenants';
import { isUUID } from 'class-validator';
import { ImportLineView, ImportReportView, ImportVirtualEntitlementsDto } from '../dto/virtual-entitlement.dto';
import { PRINTABLE } from '../dto/validation';
import { EntitlementClass } from '../entities/entitlement-class.entity';
import { VirtualEntitlement, VIRTUAL_STATUSES, VirtualEntitlementStatus } from '../entities/virtual-entitlement.entity';
import { EntitlementsRepository, VirtualFields } from '../entitlements.repository';
import { readImportCsv } from './csv-rows';

interface Planned {
  line: number;
  key: string;
  classId: string;
  status: VirtualEntitlementStatus;
  expiresAt: Date | null;
  organizationId: string | null;
}

/**
 * Bulk import of virtual keys from CSV with a report line per input line. A key already mapped to
 * the same class by the same owner is updated (status, expiry, organization), so a CRM export can
 * be imported again; every other line is created or refused with its reason.
 */
@Injectable()
export class VirtualImportService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly repo: EntitlementsRepository,
  ) {}

  async import(ctx: RequestContext, dto: ImportVirtualEntitlementsDto): Promise<ImportReportView> {
    const owner = await this.tenants.resolveOwner(ctx, dto.tenantKey);
    const ownerId = owner?.id ?? null;
    const csv = readImportCsv(dto.csv);
    if (csv.fatal) throw new InvalidInputError(csv.fatal);
    const lines: ImportLineView[] = csv.problems.map((p) => ({ line: p.line, key: null, result: 'error', message: p.message }));
    const fail = (line: number, key: string | null, message: string) => lines.push({ line, key, result: 'error', message });

    const classes = await this.repo.everyClass();
    if (dto.defaultClassId && !classes.some((c) => c.id === dto.defaultClassId))
      throw new InvalidInputError('defaultClassId does not name an entitlement class');
    const orgIds = [...new Set(csv.rows.map((r) => (r.fields.organizationid ?? '').toLowerCase()).filter((id) => id && isUUID(id)))];
    const orgs = new Map((await this.organizations.findMany(ctx, orgIds)).map((o) => [o.id, o]));

    const planned: Planned[] = [];
    const seen = new Map<string, number>();
    for (const { line, fields } of csv.rows) {
      const key = fields.key ?? '';
      if (!key) {
        fail(line, null, 'key is empty');
        continue;
      }
      if (key.length > 255 || !PRINTABLE.test(key)) {
        fail(line, key.slice(0, 255), 'key must be 1-255 characters without control characters');
        continue;
      }
      const cls = resolveClass(classes, fields.server ?? '', fields.class ?? '', dto.defaultClassId);
      if (typeof cls === 'string') {
        fail(line, key, cls);
        continue;
      }
      const status = (fields.status || 'active').toLowerCase();
      if (!(VIRTUAL_STATUSES as string[]).includes(status)) {
        fail(line, key, `status must be active or suspended (got “${fields.status}”)`);
        continue;
      }
      const expiresAt = fields.expiresat ? new Date(fields.expiresat) : null;
      if (expiresAt && (Number.isNaN(expiresAt.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(fields.expiresat))) {
        fail(line, key, `expiresAt must be an ISO 8601 date such as 2030-12-31 or 2030-12-31T23:59:59Z (got “${fields.expiresat}”)`);
        continue;
      }
      const organizationId = fields.organizationid || null;
      if (organizationId) {
        const org = orgs.get(organizationId.toLowerCase());
        if (!org) {
          fail(line, key, 'organizationId does not name an organization');
          continue;
        }
        if (org.tenantId !== ownerId) {
          fail(line, key, 'organizationId names an organization of another tenant');
          continue;
        }
      }
      const id = `${key}\u0000${cls.id}`;
      if (seen.has(id)) {
        fail(line, key, `the same key and class as line ${seen.get(id)}`);
        continue;
      }
      seen.set(id, line);
      planned.push({
        line,
        key,
        classId: cls.id,
        status: status as VirtualEntitlementStatus,
        expiresAt,
        organizationId: organizationId?.toLowerCase() ?? null,
      });
    }

    const report = await this.write(ctx, owner, planned, lines);
    lines.sort((a, b) => a.line - b.line);
    return { ...report, lines };
  }

  private async write(
    ctx: RequestContext,
    owner: TenantRef | null,
    planned: Planned[],
    lines: ImportLineView[],
  ): Promise<{ created: number; updated: number; failed: number }> {
    const ownerId = owner?.id ?? null;
    const fail = (line: number, key: string | null, message: string) => lines.push({ line, key, result: 'error', message });
    try {
      return await this.tx.run(async () => {
        const existing = new Map<string, VirtualEntitlement>();
        for (const v of await this.repo.virtualByKeys([...new Set(planned.map((p) => p.key))]))
          existing.set(`${v.key}\u0000${v.classId}`, v);
        const inserts: VirtualFields[] = [];
        let updated = 0;
        for (const p of planned) {
          const found = existing.get(`${p.key}\u0000${p.classId}`);
          if (!found) {
            inserts.push({
              tenantId: ownerId,
              key: p.key,
              classId: p.classId,
              status: p.status,
              expiresAt: p.expiresAt,
              organizationId: p.organizationId,
            });
            lines.push({ line: p.line, key: p.key, result: 'created' });
          } else if (found.tenantId !== ownerId) {
            fail(p.line, p.key, 'This key is already mapped to this class by another owner');
          } else {
            await this.repo.updateVirtual(found.id, { status: p.status, expiresAt: p.expiresAt, organizationId: p.organizationId });
            lines.push({ line: p.line, key: p.key, result: 'updated' });
            updated++;
          }
        }
        await this.repo.insertVirtual(inserts);
        const failed = lines.filter((l) => l.result === 'error').length;
        await this.audit.record(ctx, {
          action: 'virtual_entitlement.imported',
          targetType: 'virtual_entitlement',
          tenant: owner,
          details: { created: inserts.length, updated, failed },
        });
        return { created: inserts.length, updated, failed };
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError('Some of these keys were created by someone else during the import: import the file again');
      throw err;
    }
  }
}

function resolveClass(classes: EntitlementClass[], server: string, name: string, defaultClassId?: string): EntitlementClass | string {
  if (!server && !name) {
    const fallback = defaultClassId ? classes.find((c) => c.id === defaultClassId) : undefined;
    return fallback ?? 'no class: fill the server and class columns, or choose a default class';
  }
  if (!name) return 'class is empty';
  const matches = classes.filter((c) => c.name === name && (!server || c.server === server.toLowerCase()));
  if (matches.length === 1) return matches[0];
  if (!matches.length) return server ? `no class “${name}” on server ${server}` : `no class “${name}”`;
  return `class “${name}” exists on several servers: fill the server column`;
}
