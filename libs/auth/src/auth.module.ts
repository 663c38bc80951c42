import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { AccessGuard } from './access.guard';
import { ApiTokensService } from './api-tokens.service';
import { ConsoleAuthService } from './console-auth.service';
import { AdminApiToken } from './entities/admin-api-token.entity';
import { HttpSession } from './entities/http-session.entity';

@Module({
  imports: [TypeOrmModule.forFeature([AdminApiToken, HttpSession]), TenantsModule, UsersModule],
  providers: [ApiTokensService, ConsoleAuthService, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [ConsoleAuthService],
})
export class AuthModule {}
