export interface TenantEventData {
  id: string;
  key: string;
  name: string;
  status: string;
}

declare module '@portico/core' {
  interface DomainEventMap {
    'tenant.suspended': { tenant: TenantEventData };
  }
}

export const TENANT_EVENTS = ['tenant.suspended'] as const;
