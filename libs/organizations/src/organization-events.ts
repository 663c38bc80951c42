import type { OrganizationEventData } from '@portico/core';
import type { Organization } from './entities/organization.entity';

/** What webhook subscribers learn of an organization. */
export function organizationEventData(o: Organization, tenantKey: string | null): OrganizationEventData {
  return { id: o.id, tenantKey, siteId: o.siteId, name: o.name, externalUid: o.externalUid };
}
