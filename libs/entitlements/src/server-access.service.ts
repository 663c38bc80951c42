import { Injectable } from '@nestjs/common';
import { AuditService, InvalidInputError, NotFoundError, RequestContext, TransactionService } from '@portico/core';
import { CheckSettingsService } from './check/check-settings.service';
import { normaliseCallerEntry } from './check/caller-access';
import { SERVER_MESSAGE, SERVER_PATTERN } from './dto/validation';
import { ServerAccessDto, ServerAccessView } from './dto/server-access.dto';
import { EntitlementServerAccess } from './entities/entitlement-server-access.entity';
import { EntitlementsRepository } from './entitlements.repository';

/** Which callers may use the check endpoint for a server: IPs and CIDR ranges, per server. */
@Injectable()
export class ServerAccessService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly settings: CheckSettingsService,
    private readonly repo: EntitlementsRepository,
  ) {}

  /** The servers that have an allow-list. */
  async list(): Promise<ServerAccessView[]> {
    return (await this.repo.allServerAccess()).map(toView);
  }

  /** Every server Portico knows of (classes, sources, allow-lists), with its allow-list or an empty one. */
  async overview(): Promise<ServerAccessView[]> {
    const [rules, servers] = await Promise.all([this.list(), this.repo.knownServers()]);
    const byServer = new Map(rules.map((r) => [r.server, r]));
    for (const server of servers) if (!byServer.has(server)) byServer.set(server, { server, allowedIps: [], updatedAt: null });
    return [...byServer.values()].sort((a, b) => a.server.localeCompare(b.server));
  }

  /** Replaces a server's allow-list; an empty list lets anyone ask again. */
  async put(ctx: RequestContext, rawServer: string, dto: ServerAccessDto): Promise<ServerAccessView> {
    const server = rawServer.trim().toLowerCase();
    if (!SERVER_PATTERN.test(server)) throw new InvalidInputError(SERVER_MESSAGE);
    const allowedIps: string[] = [];
    for (const entry of dto.allowedIps) {
      const normal = normaliseCallerEntry(entry);
      if (!normal) throw new InvalidInputError(`allowedIps: “${entry.trim()}” is not an IP address or a CIDR range such as 10.0.0.0/8`);
      if (!allowedIps.includes(normal)) allowedIps.push(normal);
    }
    try {
      return await this.tx.run(async () => {
        const row = await this.repo.findServerAccess(server);
        if (!allowedIps.length) {
          if (row) await this.repo.deleteServerAccess(row.id);
        } else {
          await this.repo.saveServerAccess(row, server, allowedIps);
        }
        await this.audit.record(ctx, {
          action: 'entitlement_server_access.updated',
          targetType: 'entitlement_server',
          targetId: server.slice(0, 64),
          details: { server, allowedIps },
        });
        return { server, allowedIps, updatedAt: allowedIps.length ? new Date() : null };
      });
    } finally {
      this.settings.invalidate();
    }
  }

  async delete(ctx: RequestContext, rawServer: string): Promise<void> {
    const server = rawServer.trim().toLowerCase();
    try {
      await this.tx.run(async () => {
        const row = await this.repo.findServerAccess(server);
        if (!row) throw new NotFoundError('Allow-list for this server');
        await this.repo.deleteServerAccess(row.id);
        await this.audit.record(ctx, {
          action: 'entitlement_server_access.deleted',
          targetType: 'entitlement_server',
          targetId: server.slice(0, 64),
          details: { server },
        });
      });
    } finally {
      this.settings.invalidate();
    }
  }
}

function toView(a: EntitlementServerAccess): ServerAccessView {
  return { server: a.server, allowedIps: a.allowedIps, updatedAt: a.updatedAt };
}
