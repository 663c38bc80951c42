export * from './mail.module';
export * from './mail.service';
export type { MailTenant } from './mail-templates';
export { MailMessage } from './entities/mail-message.entity';
export type { MailStatus } from './entities/mail-message.entity';
