import { Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { MailModule } from '@portico/mail';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { AccountsModule } from '../accounts.module';
import { EmailVerificationService } from './email-verification.service';

/** Email verification for sign-up and sign-in (the server's pages; not loaded by workers). */
@Module({
  imports: [AccountsModule, MailModule, UsersModule, TenantsModule, AuthModule],
  providers: [EmailVerificationService],
  exports: [EmailVerificationService],
})
export class EmailVerificationModule {}
