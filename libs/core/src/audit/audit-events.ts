import type { AuditEventView } from './audit.service';

/** An audit event as the `audit.event` webhook carries it: the list's and the export's shape. */
export type AuditEventPayload = Omit<AuditEventView, 'at'> & { at: string };

declare module '../events/domain-events' {
  interface DomainEventMap {
    /** Every audit event, for a SIEM: a tenant's own to its endpoints, all of them to platform endpoints. */
    'audit.event': AuditEventPayload;
  }
}

export const AUDIT_EVENTS = ['audit.event'] as const;
export const AUDIT_EVENT = AUDIT_EVENTS[0];
