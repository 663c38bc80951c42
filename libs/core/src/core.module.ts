import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { AuditController } from './audit/audit.controller';
import { AuditEvent } from './audit/audit-event.entity';
import { Counter } from './database/counter.entity';
import { OutboxEvent } from './events/outbox-event.entity';
import { OutboxService } from './events/outbox.service';
import { InProcessJobQueue } from './jobs/in-process-job-queue';
import { JobQueue } from './jobs/job-queue';
import { AuditService } from './audit/audit.service';
import { CryptoService } from './crypto/crypto.service';
import { buildDataSourceOptions, DataSourceParts } from './database/data-source-options';
import { TransactionService } from './database/transaction.service';
import { HealthController } from './health/health.controller';
import { OutboundHttpService } from './outbound/outbound-http.service';
import { loggerOptions } from './logging/logger.options';

/** Config, database, crypto, audit, logging and health: what every domain module stands on. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, parts: DataSourceParts): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        DiscoveryModule,
        LoggerModule.forRoot(loggerOptions(config)),
        TypeOrmModule.forRoot(buildDataSourceOptions(config.database, parts)),
        TypeOrmModule.forFeature([AuditEvent, Counter, OutboxEvent]),
      ],
      controllers: [HealthController, AuditController],
      providers: [
        { provide: AppConfig, useValue: config },
        CryptoService,
        TransactionService,
        AuditService,
        OutboundHttpService,
        OutboxService,
        { provide: JobQueue, useClass: InProcessJobQueue },
      ],
      exports: [AppConfig, CryptoService, TransactionService, AuditService, OutboundHttpService, OutboxService, JobQueue],
    };
  }
}
