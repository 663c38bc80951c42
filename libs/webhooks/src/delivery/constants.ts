export const FANOUT_JOB = 'webhooks.fanout';
export const DELIVER_JOB = 'webhooks.deliver';

export interface DeliverJob {
  messageId: string;
}

/** Bytes of an endpoint's answer kept in the delivery log. */
export const RESPONSE_BODY_LIMIT = 2048;
/** An endpoint whose deliveries all failed for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
/** A sender holds a message for the request timeout plus this; after that (a killed worker) another may send it. */
export const LEASE_MARGIN_MS = 5_000;
