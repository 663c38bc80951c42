import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailDeliveryProcessor } from './delivery/mail-delivery.processor';
import { MailDeliveryService } from './delivery/mail-delivery.service';
import { MailSweeper } from './delivery/mail-sweeper';
import { SmtpTransport } from './delivery/smtp-transport';
import { MailMessage } from './entities/mail-message.entity';
import { MailRepository } from './mail.repository';
import { MailService } from './mail.service';
import { MailTemplates } from './mail-templates';

/** Outgoing mail: templates, the mail table, SMTP delivery jobs with retries, the Mailbox's reads. */
@Module({
  imports: [TypeOrmModule.forFeature([MailMessage])],
  providers: [MailRepository, MailTemplates, MailService, SmtpTransport, MailDeliveryService, MailDeliveryProcessor, MailSweeper],
  exports: [MailService],
})
export class MailModule {}
