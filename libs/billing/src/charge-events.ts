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

declare module '@portico/core' {
  interface DomainEventMap {
    'charge.created': { charge: ChargeEventData };
    'charge.failed': { charge: ChargeEventData };
  }
}

export const CHARGE_EVENTS = ['charge.created', 'charge.failed'] as const;
