/**
 * Every domain event and its one payload type. Each domain declares its own events in its own file
 * by declaration merging (`declare module '@portico/core' { interface DomainEventMap { … } }`), so
 * core knows none of their shapes. Payloads carry plain data (ids, tenant keys, the fields a
 * subscriber needs), never secrets, and are what webhook subscribers receive as `data`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the domains
export interface DomainEventMap {}

export type DomainEventName = keyof DomainEventMap;
