import type { User } from './entities/user.entity';

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

export interface MembershipEventData {
  userId: string;
  organizationId: string;
  role: string;
  tenantKey: string | null;
}

declare module '@portico/core' {
  interface DomainEventMap {
    'user.created': { user: UserEventData };
    'user.updated': { user: UserEventData; changed: string[] };
    'user.deleted': { user: UserEventData };
    'user.billable_changed': { user: UserEventData };
    /** A new password set through a mailed reset link: sign-ins held elsewhere end. */
    'user.password_reset': { user: UserEventData };
    'membership.created': { membership: MembershipEventData };
    'membership.updated': { membership: MembershipEventData };
    'membership.deleted': { membership: MembershipEventData };
  }
}

export const USER_EVENTS = ['user.created', 'user.updated', 'user.deleted', 'user.billable_changed', 'user.password_reset'] as const;
export const MEMBERSHIP_EVENTS = ['membership.created', 'membership.updated', 'membership.deleted'] as const;

/** What webhook subscribers learn of a user: never the password hash or authenticator. */
export function userEventData(u: User, tenantKey: string | null): UserEventData {
  return {
    id: u.id,
    tenantKey,
    email: u.email,
    username: u.username,
    firstName: u.firstName || null,
    lastName: u.lastName || null,
    billable: u.billable,
    status: u.status,
    externalUid: u.externalUid,
  };
}

export function membershipEventData(userId: string, organizationId: string, role: string, tenantKey: string | null): MembershipEventData {
  return { userId, organizationId, role, tenantKey };
}
