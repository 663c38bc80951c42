import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { BillingController } from './billing.controller';
import { BillingRepository } from './billing.repository';
import { BillingService } from './billing.service';
import { BillingRun } from './entities/billing-run.entity';
import { Charge } from './entities/charge.entity';
import { BillingRunProcessor } from './jobs/billing-run.processor';
import { BillingPreview } from './run/billing-preview';
import { BillingRunner } from './run/billing-runner';
import { TenantBillClient } from './run/tenant-bill-client';
import { BillingRunSweeper } from './schedule/billing-run-sweeper';
import { BillingScheduler } from './schedule/billing-scheduler';

/** Billing: monthly runs over organizations with a plan, through tenant billing APIs or as direct charges. */
@Module({
  imports: [TypeOrmModule.forFeature([BillingRun, Charge]), TenantsModule, OrganizationsModule],
  controllers: [BillingController],
  providers: [
    BillingService,
    BillingRepository,
    TenantBillClient,
    BillingRunner,
    BillingPreview,
    BillingRunProcessor,
    BillingScheduler,
    BillingRunSweeper,
  ],
  exports: [BillingService],
})
export class BillingModule {}
