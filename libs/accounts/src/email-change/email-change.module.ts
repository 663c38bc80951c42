import { Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { MailModule } from '@portico/mail';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { AccountsModule } from '../accounts.module';
import { EmailChangeService } from './email-change.service';

/** A signed-in person's change of address, verified by the new address before it takes effect. */
@Module({
  imports: [AccountsModule, AuthModule, MailModule, TenantsModule, UsersModule],
  providers: [EmailChangeService],
  exports: [EmailChangeService],
})
export class EmailChangeModule {}
