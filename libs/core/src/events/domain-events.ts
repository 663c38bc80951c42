/**
 * Every domain event and its one payload type. Payloads carry plain data (ids, tenant keys, the
 * fields a subscriber needs), never secrets, and are what webhook subscribers receive as `data`.
 */
export interface UserEventData {
  id: string;
  tenantKey: string | null;
  email: string;
  username: string;
  firstName: string | null;
  lastName: string | null;
  billable: boolean;
  status: string;
  externalUid: string | null;
}

export interface OrganizationEventData {
  id: string;
  tenantKey: string | null;
  siteId: number;
  name: string;
  externalUid: string | null;
}

export interface MembershipEventData {
  userId: string;
  organizationId: string;
  role: string;
  tenantKey: string | null;
}

export interface ChargeEventData {
  id: string;
  organizationId: string;
  tenantKey: string | null;
  period: string;
  amountCents: number;
  currency: string;
  route: 'tenant' | 'direct';
  status: string;
  externalBillId: string | null;
  attempts: number;
  lastError: string | null;
}

export interface TenantEventData {
  id: string;
  key: string;
  name: string;
  status: string;
}

export interface DomainEventMap {
  'user.created': { user: UserEventData };
  'user.updated': { user: UserEventData; changed: string[] };
  'user.deleted': { user: UserEventData };
  'user.billable_changed': { user: UserEventData };
  'organization.created': { organization: OrganizationEventData };
  'organization.updated': { organization: OrganizationEventData; changed: string[] };
  'organization.deleted': { organization: OrganizationEventData };
  'membership.created': { membership: MembershipEventData };
  'membership.updated': { membership: MembershipEventData };
  'membership.deleted': { membership: MembershipEventData };
  'charge.created': { charge: ChargeEventData };
  'charge.failed': { charge: ChargeEventData };
  'tenant.suspended': { tenant: TenantEventData };
}

export type DomainEventName = keyof DomainEventMap;

export const DOMAIN_EVENT_NAMES: readonly DomainEventName[] = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.billable_changed',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'membership.created',
  'membership.updated',
  'membership.deleted',
  'charge.created',
  'charge.failed',
  'tenant.suspended',
];
