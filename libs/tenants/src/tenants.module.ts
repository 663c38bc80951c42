import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantApiKey } from './entities/tenant-api-key.entity';
import { TenantIntegration } from './entities/tenant-integration.entity';
import { Tenant } from './entities/tenant.entity';
import { TenantRateLimits } from './rate-limit/tenant-rate-limits';
import { TenantsController } from './tenants.controller';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant, TenantApiKey, TenantIntegration])],
  controllers: [TenantsController],
  providers: [TenantsRepository, TenantsService, TenantRateLimits],
  exports: [TenantsService],
})
export class TenantsModule {}
