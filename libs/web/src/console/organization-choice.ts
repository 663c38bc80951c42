import { RequestContext } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { Parsed, problem } from './forms';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SITE_ID = /^\d{1,9}$/;

export interface ChosenOrganization {
  id: string;
  name: string;
  siteId: number;
}

/**
 * The organization a console field names the way people know it: its name or its site ID (an id
 * from the API or a link works too). `tenantKey` narrows a name to one tenant (null: direct
 * customers), since names are unique only within a tenant. Empty: none chosen.
 */
export async function organizationFromField(
  organizations: OrganizationsService,
  ctx: RequestContext,
  value: string,
  tenantKey?: string | null,
): Promise<Parsed<ChosenOrganization | null>> {
  if (!value) return { ok: true, value: null };
  if (SITE_ID.test(value) || UUID.test(value)) {
    const org = SITE_ID.test(value) ? await organizations.findBySiteId(ctx, Number(value)) : await organizations.find(ctx, value);
    return org ? { ok: true, value: org } : problem(400, `No organization has ${SITE_ID.test(value) ? 'site ID' : 'id'} ${value}.`);
  }
  const wanted = value.toLowerCase();
  const page = await organizations.list(ctx, { search: value.slice(0, 200), tenantKey: tenantKey ?? undefined, limit: 50 });
  const named = page.items.filter((o) => o.name.toLowerCase() === wanted && (tenantKey !== null || o.tenantKey === null));
  if (named.length === 1) return { ok: true, value: named[0] };
  if (!named.length) return problem(400, `No organization is named “${value}”${tenantKey ? ` in tenant ${tenantKey}` : ''}.`);
  const sites = named.map((o) => `${o.siteId} (${o.tenantKey ?? 'direct'})`).join(', ');
  return problem(400, `Several organizations are named “${value}”: type the site ID of the one you mean (${sites}).`);
}

/** Organization names to suggest in such a field (a datalist: any name or site ID can still be typed). */
export async function organizationNameChoices(organizations: OrganizationsService, ctx: RequestContext): Promise<string[]> {
  const page = await organizations.list(ctx, { limit: 200 });
  return [...new Set(page.items.map((o) => o.name))];
}
