import { Injectable } from '@nestjs/common';
import { Page, PageQueryDto, RequestContext, scopedList, TransactionService } from '@portico/core';
import { ExternalLoginProvider } from './entities/external-login-provider.entity';
import { ExternalLoginSettings } from './entities/external-login-settings.entity';

export type ProviderFields = Pick<
  ExternalLoginProvider,
  'name' | 'url' | 'accessTokenHeader' | 'timeoutMs' | 'allowUserCreation' | 'allowPrivateNetwork' | 'caCertificate'
>;

// Providers and the endpoint's settings belong to no tenant: a list does not depend on who asks.
const UNSCOPED = RequestContext.system();

/** Every query of the external-login domain; runs in the caller's transaction when there is one. */
@Injectable()
export class ExternalLoginRepository {
  constructor(private readonly tx: TransactionService) {}

  listProviders<T>(query: PageQueryDto, map: (rows: ExternalLoginProvider[]) => T[]): Promise<Page<T>> {
    const qb = this.tx.manager.createQueryBuilder(ExternalLoginProvider, 'p').orderBy('p.name', 'ASC').addOrderBy('p.id', 'ASC');
    return scopedList(UNSCOPED, qb, query, {}, map);
  }

  findProvider(id: string): Promise<ExternalLoginProvider | null> {
    return this.tx.manager.findOneBy(ExternalLoginProvider, { id });
  }

  /** Names to choose from, first ones by name. */
  providerNames(): Promise<Pick<ExternalLoginProvider, 'id' | 'name'>[]> {
    return this.tx.manager.find(ExternalLoginProvider, { select: { id: true, name: true }, order: { name: 'ASC' }, take: 500 });
  }

  /** A provider not saved yet, so its settings can be checked first. */
  newProvider(fields: ProviderFields): ExternalLoginProvider {
    return this.tx.manager.create(ExternalLoginProvider, fields);
  }

  saveProvider(provider: ExternalLoginProvider): Promise<ExternalLoginProvider> {
    return this.tx.manager.save(provider);
  }

  async deleteProvider(id: string): Promise<void> {
    await this.tx.manager.delete(ExternalLoginProvider, { id });
  }

  /** The endpoint's settings: the migration's row, or the defaults if it is missing. */
  async settings(): Promise<ExternalLoginSettings> {
    const rows = await this.tx.manager.find(ExternalLoginSettings, { take: 1, order: { createdAt: 'ASC' } });
    return rows[0] ?? this.tx.manager.create(ExternalLoginSettings, {});
  }

  saveSettings(row: ExternalLoginSettings): Promise<ExternalLoginSettings> {
    return this.tx.manager.save(row);
  }
}
