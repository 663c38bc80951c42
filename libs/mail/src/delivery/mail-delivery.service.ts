import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, AuditService, Clock, CryptoService, JobQueue, RequestContext, TransactionService } from '@portico/core';
import { randomUUID } from 'node:crypto';
import { MailMessage } from '../entities/mail-message.entity';
import { MailRepository } from '../mail.repository';
import { MAIL_DELIVER_JOB, MAIL_LEASE_MS } from './constants';
import { SmtpTransport } from './smtp-transport';

/** One attempt at one queued mail: claim it, send it over SMTP, record what happened. */
@Injectable()
export class MailDeliveryService {
  private readonly logger = new Logger('Mail');

  constructor(
    private readonly repo: MailRepository,
    private readonly smtp: SmtpTransport,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly tx: TransactionService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async deliver(id: string): Promise<void> {
    // No SMTP here (a worker configured without it): leave the mail queued for a process that has it.
    if (!this.config.smtpUrl) return;
    const now = this.clock.now();
    const mail = await this.repo.claim(id, now, new Date(now.getTime() + MAIL_LEASE_MS), randomUUID());
    if (!mail) return;
    let text: string;
    let html: string;
    try {
      text = this.crypto.decrypt(mail.textSealed ?? '');
      html = this.crypto.decrypt(mail.htmlSealed ?? '');
    } catch {
      await this.settle(mail, {
        status: 'failed',
        failedAt: now,
        nextAttemptAt: null,
        lastError: 'The body cannot be read with this PORTICO_SECRET_KEY',
      });
      return;
    }
    const outcome = await this.smtp.send({ to: mail.recipient, subject: mail.subject, text, html });
    const at = this.clock.now();
    const attempts = mail.attempts + 1;
    if (outcome.ok) {
      // The body held live links: once the mail has left, only its envelope is kept.
      await this.settle(mail, {
        status: 'sent',
        attempts,
        sentAt: at,
        nextAttemptAt: null,
        lastError: null,
        textSealed: null,
        htmlSealed: null,
      });
      return;
    }
    const schedule = this.config.mailRetrySchedule;
    if (outcome.permanent || attempts >= schedule.length) {
      await this.settle(mail, { status: 'failed', attempts, failedAt: at, nextAttemptAt: null, lastError: outcome.error });
      return;
    }
    const delayMs = schedule[attempts] * 1000;
    await this.settle(mail, { attempts, nextAttemptAt: new Date(at.getTime() + delayMs), lastError: outcome.error });
    await this.jobs
      .enqueue(MAIL_DELIVER_JOB, { id: mail.id }, { jobId: `${mail.id}.${attempts + 1}`, delayMs })
      // It stays queued in the database: the sweeper queues it again.
      .catch((err: unknown) => this.logger.warn(`Could not queue the next attempt of mail ${mail.id}: ${String(err)}`));
  }

  private async settle(mail: MailMessage, changes: Partial<MailMessage>): Promise<void> {
    await this.tx.run(async () => {
      await this.repo.settle(mail.id, changes);
      if (changes.status === 'sent' || changes.status === 'failed') {
        await this.audit.record(RequestContext.system('mail', mail.tenantId), {
          action: `mail.${changes.status}`,
          targetType: 'mail',
          targetId: mail.id,
          tenant: mail.tenantId && mail.tenantKey ? { id: mail.tenantId, key: mail.tenantKey } : null,
          details: {
            template: mail.template,
            to: mail.recipient,
            attempts: changes.attempts ?? mail.attempts,
            ...(changes.status === 'failed' ? { error: changes.lastError } : {}),
          },
        });
      }
    });
    if (changes.status === 'failed') this.logger.warn(`Mail ${mail.id} (${mail.template}) failed for good: ${changes.lastError}`);
  }
}
