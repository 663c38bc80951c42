import { Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { MailModule } from '@portico/mail';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { AccountsModule } from '../accounts.module';
import { PasswordResetController } from './password-reset.controller';
import { PasswordResetService } from './password-reset.service';

/** Forgotten passwords: the reset mail (pages and API) and the reset itself (the server; not loaded by workers). */
@Module({
  imports: [AccountsModule, MailModule, UsersModule, TenantsModule, AuthModule],
  controllers: [PasswordResetController],
  providers: [PasswordResetService],
  exports: [PasswordResetService],
})
export class PasswordResetModule {}
