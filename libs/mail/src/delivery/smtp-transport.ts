import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@portico/core';
import nodemailer, { type Transporter, type TransportOptions } from 'nodemailer';
import { SMTP_TIMEOUT_MS } from './constants';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** The result of one SMTP attempt: sent, or why not and whether trying again may help. */
export type SmtpOutcome = { ok: true } | { ok: false; permanent: boolean; error: string };

/** The SMTP client (nodemailer) for SMTP_URL, one pooled transport per process. */
@Injectable()
export class SmtpTransport implements OnModuleDestroy {
  private transporter: Transporter | null = null;

  constructor(private readonly config: AppConfig) {}

  async send(mail: OutgoingMail): Promise<SmtpOutcome> {
    try {
      await this.transport().sendMail({ from: this.config.mailFrom, ...mail });
      return { ok: true };
    } catch (err) {
      const e = err as { responseCode?: number; message?: string };
      // 5xx is the server's final word (an unknown mailbox, a refused sender); anything else may pass later.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
      return { ok: false, permanent, error: this.describe(e) };
    }
  }

  onModuleDestroy(): void {
    this.transporter?.close();
    this.transporter = null;
  }

  private transport(): Transporter {
    return (this.transporter ??= nodemailer.createTransport({
      url: this.config.smtpUrl!,
      pool: true,
      maxConnections: 5,
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    } as TransportOptions));
  }

  /** The error as the Mailbox shows it, without the SMTP credentials. */
  private describe(e: { responseCode?: number; message?: string }): string {
    let text = (e.message ?? 'unknown error').replace(/\s+/g, ' ');
    const url = this.config.smtpUrl;
    if (url) {
      const { username, password } = new URL(url);
      for (const secret of [password, decodeURIComponent(password), username && decodeURIComponent(username)])
        if (secret && secret.length > 2) text = text.split(secret).join('***');
      text = text.split(url).join('SMTP_URL');
    }
    return text.slice(0, 500);
  }
}
