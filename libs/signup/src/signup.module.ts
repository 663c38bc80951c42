import { Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { UsersModule } from '@portico/users';
import { SignupController } from './signup.controller';
import { SignupService } from './signup.service';

@Module({
  imports: [AuthModule, OrganizationsModule, UsersModule, IdentityMapModule],
  controllers: [SignupController],
  providers: [SignupService],
  exports: [SignupService],
})
export class SignupModule {}
