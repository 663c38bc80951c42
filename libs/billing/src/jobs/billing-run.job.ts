/** The job that executes a billing run: a run's state lives in the database, the job only names it. */
export const BILLING_RUN_JOB = 'billing.run';

export interface BillingRunJob {
  runId: string;
}
