import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { EmailVerificationModule } from '@portico/accounts';
import { AuthModule } from '@portico/auth';
import { AppConfig, RateLimits } from '@portico/core';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { UsersModule } from '@portico/users';
import { SignupController } from './signup.controller';
import { SignupService } from './signup.service';

@Module({
  imports: [AuthModule, OrganizationsModule, UsersModule, IdentityMapModule, EmailVerificationModule],
  controllers: [SignupController],
  providers: [SignupService],
  exports: [SignupService],
})
export class SignupModule implements NestModule {
  constructor(
    private readonly limits: RateLimits,
    private readonly config: AppConfig,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(this.limits.perAddress('register', this.config.rateLimits.anonymous))
      .forRoutes({ path: 'api/auth/register', method: RequestMethod.POST });
  }
}
