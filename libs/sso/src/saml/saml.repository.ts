import { Injectable } from '@nestjs/common';
import { TransactionService } from '@portico/core';
import { DeepPartial, LessThan, LessThanOrEqual } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SamlAssertionReplay } from './entities/saml-assertion-replay.entity';
import { SamlConnection } from './entities/saml-connection.entity';
import { SamlRequest, SamlRequestPurpose } from './entities/saml-request.entity';

/**
 * Every query of the SAML module: the tenants' connections, and the database's copy of the
 * single-use state (pending requests, seen assertion ids). Writes join the caller's transaction
 * (`tx.run` around the call).
 */
@Injectable()
export class SamlRepository {
  constructor(private readonly tx: TransactionService) {}

  // --- connections

  connectionOf(tenantId: string): Promise<SamlConnection | null> {
    return this.tx.manager.findOneBy(SamlConnection, { tenantId });
  }

  /** Every connection's tenant and IdP certificates. */
  allCertificates(): Promise<Pick<SamlConnection, 'tenantId' | 'idpCertificates'>[]> {
    return this.tx.manager.find(SamlConnection, { select: { tenantId: true, idpCertificates: true } });
  }

  /** Inserts a new connection; a second one for the tenant fails on the unique constraint. */
  async insertConnection(fields: DeepPartial<SamlConnection>): Promise<SamlConnection> {
    const m = this.tx.manager;
    const row = m.create(SamlConnection, fields);
    await m.insert(SamlConnection, row as QueryDeepPartialEntity<SamlConnection>);
    return row;
  }

  async saveConnection(row: SamlConnection): Promise<void> {
    await this.tx.manager.save(row);
  }

  /** True when there was a connection to delete. */
  async deleteConnection(tenantId: string): Promise<boolean> {
    return !!(await this.tx.manager.delete(SamlConnection, { tenantId })).affected;
  }

  // --- single-use state

  async replaceRequest(
    tenantId: string,
    requestId: string,
    purpose: SamlRequestPurpose,
    payload: string | null,
    expiresAt: Date,
  ): Promise<void> {
    const m = this.tx.manager;
    await m.delete(SamlRequest, { tenantId, requestId });
    const row = m.create(SamlRequest, { tenantId, requestId, purpose, payload, expiresAt });
    await m.insert(SamlRequest, row as QueryDeepPartialEntity<SamlRequest>);
  }

  /** Deletes the request and returns it: of two callers taking the same id at once, only one gets it. */
  async takeRequest(tenantId: string, requestId: string): Promise<SamlRequest | null> {
    const m = this.tx.manager;
    const row = await m.findOneBy(SamlRequest, { tenantId, requestId });
    if (!row) return null;
    const removed = await m.delete(SamlRequest, { id: row.id });
    return removed.affected ? row : null;
  }

  /** Records an assertion id, replacing an expired record of it; a live one fails on the unique constraint. */
  async recordAssertion(tenantId: string, assertionId: string, expiresAt: Date): Promise<void> {
    const m = this.tx.manager;
    await m.delete(SamlAssertionReplay, { tenantId, assertionId, expiresAt: LessThanOrEqual(new Date()) });
    const row = m.create(SamlAssertionReplay, { tenantId, assertionId, expiresAt });
    await m.insert(SamlAssertionReplay, row as QueryDeepPartialEntity<SamlAssertionReplay>);
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.tx.manager.delete(SamlRequest, { expiresAt: LessThan(now) });
    await this.tx.manager.delete(SamlAssertionReplay, { expiresAt: LessThan(now) });
  }
}
