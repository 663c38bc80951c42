import { CHARGE_EVENTS } from '@portico/billing';
import { AUDIT_EVENTS, type DomainEventName } from '@portico/core';
import { ORGANIZATION_EVENTS } from '@portico/organizations';
import { TENANT_EVENTS } from '@portico/tenants';
import { MEMBERSHIP_EVENTS, USER_EVENTS } from '@portico/users';

/** Every event an endpoint can subscribe to, each named by the domain that declares and emits it. */
export const DOMAIN_EVENT_NAMES: readonly DomainEventName[] = [
  ...USER_EVENTS,
  ...ORGANIZATION_EVENTS,
  ...MEMBERSHIP_EVENTS,
  ...CHARGE_EVENTS,
  ...TENANT_EVENTS,
  ...AUDIT_EVENTS,
];

// A domain's new event that is missing above fails to compile here rather than being unsubscribable.
type Listed = (
  | typeof USER_EVENTS
  | typeof ORGANIZATION_EVENTS
  | typeof MEMBERSHIP_EVENTS
  | typeof CHARGE_EVENTS
  | typeof TENANT_EVENTS
  | typeof AUDIT_EVENTS
)[number];
type Unlisted = Exclude<DomainEventName, Listed>;
const _everyEventListed: [Unlisted] extends [never] ? true : Unlisted = true;
