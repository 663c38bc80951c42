import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '@portico/mail';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { AccountsModule } from '../accounts.module';
import { Invitation } from './entities/invitation.entity';
import { InvitationMail } from './invitation-mail';
import { InvitationsController } from './invitations.controller';
import { InvitationsRepository } from './invitations.repository';
import { InvitationsService } from './invitations.service';

/** Invitations into organizations: the API, and the service the console, account and link pages use. */
@Module({
  imports: [TypeOrmModule.forFeature([Invitation]), AccountsModule, MailModule, OrganizationsModule, TenantsModule, UsersModule],
  controllers: [InvitationsController],
  providers: [InvitationsRepository, InvitationsService, InvitationMail],
  exports: [InvitationsService],
})
export class InvitationsModule {}
