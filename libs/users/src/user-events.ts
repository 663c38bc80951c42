import type { MembershipEventData, UserEventData } from '@portico/core';
import type { User } from './entities/user.entity';

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
