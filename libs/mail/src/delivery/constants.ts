export const MAIL_DELIVER_JOB = 'mail.deliver';

export interface MailDeliverJob {
  id: string;
}

/** A sender holds a mail this long (beyond the SMTP timeouts); after that another process may send it. */
export const MAIL_LEASE_MS = 90_000;
/** Connection, greeting and socket timeouts of the SMTP client. */
export const SMTP_TIMEOUT_MS = 30_000;
