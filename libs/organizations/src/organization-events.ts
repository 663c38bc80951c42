import type { Organization } from './entities/organization.entity';

export interface OrganizationEventData {
  id: string;
  tenantKey: string | null;
  siteId: number;
  name: string;
  externalUid: string | null;
}

declare module '@portico/core' {
  interface DomainEventMap {
    'organization.created': { organization: OrganizationEventData };
    'organization.updated': { organization: OrganizationEventData; changed: string[] };
    'organization.deleted': { organization: OrganizationEventData };
  }
}

export const ORGANIZATION_EVENTS = ['organization.created', 'organization.updated', 'organization.deleted'] as const;

/** What webhook subscribers learn of an organization. */
export function organizationEventData(o: Organization, tenantKey: string | null): OrganizationEventData {
  return { id: o.id, tenantKey, siteId: o.siteId, name: o.name, externalUid: o.externalUid };
}
