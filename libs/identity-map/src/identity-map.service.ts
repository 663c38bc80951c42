import { Injectable } from '@nestjs/common';
import { ConflictError, isUniqueViolation, TransactionService } from '@portico/core';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { IdentityLink, LinkedEntityType } from './entities/identity-link.entity';

/**
 * Providers Portico itself records links for. `portal`: the tenant's own user and group uids
 * (autologin, sign-up, account webhooks, data-sharing notifications); `saml`: NameIDs from the
 * tenant's IdP; `ldap`: entries of a tenant's directory. Tenants may record others through the API.
 */
export type KnownProvider = 'portal' | 'saml' | 'ldap';

export interface LinkKey {
  tenantId: string;
  provider: string;
  entityType: LinkedEntityType;
}

export interface IdentityLinkRef extends LinkKey {
  id: string;
  localId: string;
  foreignId: string;
  createdAt: Date;
}

/**
 * The identity map: one service through which every module records and resolves a tenant's
 * foreign ids. Callers pass their transaction's manager so a link lands with the record it names.
 */
@Injectable()
export class IdentityMapService {
  constructor(private readonly tx: TransactionService) {}

  /** The Portico id a foreign id names, or null. */
  async resolve(key: LinkKey, foreignId: string, m: EntityManager = this.tx.manager): Promise<string | null> {
    const row = await m.findOneBy(IdentityLink, { ...key, foreignId });
    return row?.localId ?? null;
  }

  /** The foreign id recorded for a Portico record, or null. */
  async foreignIdOf(key: LinkKey, localId: string, m: EntityManager = this.tx.manager): Promise<string | null> {
    const row = await m.findOneBy(IdentityLink, { ...key, localId });
    return row?.foreignId ?? null;
  }

  /**
   * Records that `foreignId` names `localId`. Linking the same pair again changes nothing; a foreign
   * id already naming another record (or a record already carrying another foreign id) is a conflict,
   * decided by the database's unique constraints so concurrent callers cannot both win.
   */
  async link(m: EntityManager, key: LinkKey, localId: string, foreignId: string): Promise<IdentityLinkRef> {
    const existing = await m.findOneBy(IdentityLink, { ...key, foreignId });
    if (existing) {
      if (existing.localId !== localId) throw linkConflict(key, foreignId);
      return toRef(existing);
    }
    const row = m.create(IdentityLink, { ...key, localId, foreignId });
    try {
      await m.insert(IdentityLink, row as QueryDeepPartialEntity<IdentityLink>);
    } catch (err) {
      if (isUniqueViolation(err)) throw linkConflict(key, foreignId);
      throw err;
    }
    return toRef(row);
  }

  /** Removes the links of a Portico record (all providers), e.g. when the record is deleted. */
  async forgetLocal(m: EntityManager, tenantId: string, entityType: LinkedEntityType, localId: string): Promise<void> {
    await m.delete(IdentityLink, { tenantId, entityType, localId });
  }

  /** Removes one link by its foreign id; true when there was one. */
  async unlink(m: EntityManager, key: LinkKey, foreignId: string): Promise<boolean> {
    const result = await m.delete(IdentityLink, { ...key, foreignId });
    return (result.affected ?? 0) > 0;
  }
}

function linkConflict(key: LinkKey, foreignId: string): ConflictError {
  return new ConflictError(
    `The ${key.provider} id "${foreignId}" or the ${key.entityType} is already linked to another record in this tenant`,
  );
}

function toRef(row: IdentityLink): IdentityLinkRef {
  return {
    id: row.id,
    tenantId: row.tenantId,
    provider: row.provider,
    entityType: row.entityType,
    localId: row.localId,
    foreignId: row.foreignId,
    createdAt: row.createdAt,
  };
}
