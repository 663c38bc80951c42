import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, AuditService, Clock, CryptoService, JobQueue, Page, PageQueryDto, RequestContext } from '@portico/core';
import { MAIL_DELIVER_JOB, MailDeliverJob } from './delivery/constants';
import { MailMessage, MailStatus } from './entities/mail-message.entity';
import { MailRepository } from './mail.repository';
import { MailTemplates, MailTenant } from './mail-templates';

export interface MailRequest {
  to: string;
  template: string;
  tenant: MailTenant | null;
  vars: Record<string, unknown>;
}

/** A mail as the console's Mailbox lists it. */
export interface MailSummary {
  id: string;
  to: string;
  template: string;
  subject: string;
  status: MailStatus;
  attempts: number;
  lastError: string | null;
  tenantId: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** A mail as the Mailbox shows it: its parts, while they are kept. */
export interface MailView extends MailSummary {
  text: string | null;
  html: string | null;
}

/**
 * Mail: written in the caller's transaction (never sent for a change that rolled back, never lost
 * for one that committed), then delivered by a job over SMTP, or kept for the console's Mailbox
 * when no SMTP_URL is set.
 */
@Injectable()
export class MailService {
  private readonly logger = new Logger('Mail');

  constructor(
    private readonly repo: MailRepository,
    private readonly templates: MailTemplates,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Whether mail leaves Portico (SMTP_URL is set); otherwise it stays in the Mailbox. */
  get delivering(): boolean {
    return !!this.config.smtpUrl;
  }

  /** Renders and writes one mail in the ambient transaction; delivery is queued once it commits. */
  async send(req: MailRequest): Promise<void> {
    if (!/^[^\s@]+@[^\s@]+$/.test(req.to) || req.to.length > 320) throw new Error('MailService.send: the recipient is not one address');
    const rendered = this.templates.render(req.template, req.tenant, req.vars);
    const message = new MailMessage();
    Object.assign(message, {
      tenantId: req.tenant?.id ?? null,
      tenantKey: req.tenant?.key ?? null,
      recipient: req.to.slice(0, 320),
      template: req.template,
      subject: rendered.subject,
      textSealed: this.crypto.encrypt(rendered.text),
      htmlSealed: this.crypto.encrypt(rendered.html),
      status: this.delivering ? 'queued' : 'stored',
      nextAttemptAt: this.delivering ? this.clock.now() : null,
    });
    await this.repo.insert(message, () => {
      if (message.status === 'queued') this.enqueue(message.id);
    });
    await this.audit.record(RequestContext.system('mail', req.tenant?.id ?? null), {
      action: 'mail.queued',
      targetType: 'mail',
      targetId: message.id,
      tenant: req.tenant ? { id: req.tenant.id, key: req.tenant.key } : null,
      details: { template: req.template, to: message.recipient, delivery: this.delivering ? 'smtp' : 'mailbox' },
    });
  }

  /** The Mailbox, newest first (platform admins). */
  async list(query: PageQueryDto): Promise<Page<MailSummary>> {
    const page = await this.repo.page(query);
    return { ...page, items: page.items.map(summary) };
  }

  /** How many mails wait to be sent over SMTP (retries included). */
  waitingCount(): Promise<number> {
    return this.repo.countQueued();
  }

  async read(id: string): Promise<MailView | null> {
    const m = await this.repo.byId(id);
    if (!m) return null;
    return { ...summary(m), text: this.open(m.textSealed), html: this.open(m.htmlSealed) };
  }

  private open(sealed: string | null): string | null {
    if (!sealed) return null;
    try {
      return this.crypto.decrypt(sealed);
    } catch {
      // Sealed under another PORTICO_SECRET_KEY: the Mailbox says the part is not readable.
      return null;
    }
  }

  private enqueue(id: string): void {
    const job: MailDeliverJob = { id };
    // Refused by the queue (Redis away): the row stays queued and the sweeper queues it again.
    this.jobs
      .enqueue(MAIL_DELIVER_JOB, job, { jobId: `${id}.1` })
      .catch((err: unknown) => this.logger.warn(`Could not queue mail ${id}: ${err instanceof Error ? err.message : String(err)}`));
  }
}

function summary(m: MailMessage): MailSummary {
  return {
    id: m.id,
    to: m.recipient,
    template: m.template,
    subject: m.subject,
    status: m.status,
    attempts: m.attempts,
    lastError: m.lastError,
    tenantId: m.tenantId,
    createdAt: m.createdAt,
    sentAt: m.sentAt,
  };
}
