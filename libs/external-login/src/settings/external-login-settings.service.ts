import { Injectable } from '@nestjs/common';
import {
  AllowEntry,
  AuditService,
  CryptoService,
  InvalidInputError,
  parseAllowEntry,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { ExternalLoginSettingsView, UpdateExternalLoginSettingsDto } from '../dto/external-login-settings.dto';
import { ExternalLoginSettings } from '../entities/external-login-settings.entity';
import { ExternalLoginRepository } from '../external-login.repository';

/** What the endpoint checks a caller against, read fresh for each call. */
export interface EndpointPolicy {
  enabled: boolean;
  accessTokenHeader: string;
  accessToken: string | null;
  allowList: AllowEntry[];
}

/** Portico as an external login provider: on/off, the access token and the allowed callers. */
@Injectable()
export class ExternalLoginSettingsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly crypto: CryptoService,
    private readonly repo: ExternalLoginRepository,
  ) {}

  async get(): Promise<ExternalLoginSettingsView> {
    return toView(await this.repo.settings());
  }

  async update(ctx: RequestContext, dto: UpdateExternalLoginSettingsDto): Promise<ExternalLoginSettingsView> {
    let allowedIps: string[] | undefined;
    if (dto.allowedIps) {
      const wrong = dto.allowedIps.filter((ip) => !parseAllowEntry(ip));
      if (wrong.length)
        throw new InvalidInputError(`allowedIps: not an IP address or CIDR range: ${wrong.map((w) => JSON.stringify(w)).join(', ')}`);
      allowedIps = [...new Set(dto.allowedIps.map((ip) => parseAllowEntry(ip)!.text))];
    }
    return this.tx.run(async () => {
      const row = await this.repo.settings();
      if (dto.enabled !== undefined) row.enabled = dto.enabled;
      if (dto.accessTokenHeader !== undefined) row.accessTokenHeader = dto.accessTokenHeader.toLowerCase();
      if (dto.accessToken !== undefined) row.accessTokenEncrypted = dto.accessToken === null ? null : this.crypto.encrypt(dto.accessToken);
      if (allowedIps) row.allowedIps = allowedIps;
      await this.repo.saveSettings(row);
      await this.audit.record(ctx, {
        action: 'settings.external_login.updated',
        targetType: 'settings',
        targetId: 'external-login',
        details: { fields: Object.keys(dto), enabled: row.enabled, accessTokenSet: !!row.accessTokenEncrypted, allowedIps: row.allowedIps },
      });
      return toView(row);
    });
  }

  async policy(): Promise<EndpointPolicy> {
    const row = await this.repo.settings();
    return {
      enabled: row.enabled,
      accessTokenHeader: row.accessTokenHeader,
      accessToken: row.accessTokenEncrypted ? this.crypto.decrypt(row.accessTokenEncrypted) : null,
      allowList: row.allowedIps.map((ip) => parseAllowEntry(ip)?.entry).filter((e): e is AllowEntry => !!e),
    };
  }
}

function toView(row: ExternalLoginSettings): ExternalLoginSettingsView {
  return {
    enabled: row.enabled,
    accessTokenHeader: row.accessTokenHeader,
    accessTokenSet: !!row.accessTokenEncrypted,
    allowedIps: row.allowedIps,
    updatedAt: row.updatedAt,
  };
}
