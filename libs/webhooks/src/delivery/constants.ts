export const FANOUT_JOB = 'webhooks.fanout';
export const DELIVER_JOB = 'webhooks.deliver';

/** Messages one delivery job sends (side by side): fewer queue round trips and one commit for all. */
export interface DeliverJob {
  messageIds: string[];
}

/** How many messages the fan-out, the sweeper and replays put in one delivery job. */
export const DELIVER_BATCH = 25;

/** Delivery jobs for these messages, DELIVER_BATCH at a time. */
export function deliverJobs(ids: string[], jobIdSuffix?: string): { data: DeliverJob; options?: { jobId: string } }[] {
  const jobs: { data: DeliverJob; options?: { jobId: string } }[] = [];
  for (let i = 0; i < ids.length; i += DELIVER_BATCH) {
    const messageIds = ids.slice(i, i + DELIVER_BATCH);
    jobs.push({
      data: { messageIds },
      ...(jobIdSuffix && messageIds.length === 1 ? { options: { jobId: `${messageIds[0]}.${jobIdSuffix}` } } : {}),
    });
  }
  return jobs;
}

/** The event type of a test message an administrator sends; no endpoint subscribes to it. */
export const TEST_EVENT = 'webhook.test';

/** Bytes of an endpoint's answer kept in the delivery log. */
export const RESPONSE_BODY_LIMIT = 2048;
/** An endpoint whose deliveries all failed for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
/** A sender holds a message for the request timeout plus this; after that (a killed worker) another may send it. */
export const LEASE_MARGIN_MS = 5_000;
