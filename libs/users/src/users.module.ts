import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { Membership } from './entities/membership.entity';
import { User } from './entities/user.entity';
import { MembersController } from './members.controller';
import { MembershipsService } from './memberships.service';
import { PasswordChecks } from './password-policy';
import { UserCredentialsService } from './user-credentials.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Membership]), TenantsModule, OrganizationsModule],
  controllers: [UsersController, MembersController],
  providers: [UsersRepository, UsersService, MembershipsService, UserCredentialsService, PasswordChecks],
  exports: [UsersService, MembershipsService, UserCredentialsService, PasswordChecks],
})
export class UsersModule {}
