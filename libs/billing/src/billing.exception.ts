import { DomainException, ErrorCode } from '@portico/core';

export enum BillingErrorCode {
  InvalidPeriod = 'BILLING_INVALID_PERIOD',
  RunNotFound = 'BILLING_RUN_NOT_FOUND',
}

const STATUS: Record<BillingErrorCode, ErrorCode> = {
  [BillingErrorCode.InvalidPeriod]: ErrorCode.Invalid,
  [BillingErrorCode.RunNotFound]: ErrorCode.NotFound,
};

/** Billing's own failures; the global filter maps them like every DomainException. */
export class BillingException extends DomainException {
  constructor(
    readonly reason: BillingErrorCode,
    message: string,
  ) {
    super(STATUS[reason], message);
  }

  static runNotFound(): BillingException {
    return new BillingException(BillingErrorCode.RunNotFound, 'Billing run not found');
  }
}
