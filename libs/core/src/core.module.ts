import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { AuditController } from './audit/audit.controller';
import { AuditEvent } from './audit/audit-event.entity';
import { Counter } from './database/counter.entity';
import { OutboxEvent } from './events/outbox-event.entity';
import { OutboxRepository } from './events/outbox.repository';
import { OutboxService } from './events/outbox.service';
import { OutboxDispatcher } from './events/outbox-dispatcher';
import { Broadcast, LocalBroadcast, RedisBroadcast } from './jobs/broadcast';
import { InProcessJobQueue } from './jobs/in-process-job-queue';
import { JobQueue } from './jobs/job-queue';
import { JobRegistry } from './jobs/job-registry';
import { AuditService } from './audit/audit.service';
import { AuditRepository } from './audit/audit.repository';
import { AuditExporter } from './audit/audit-export';
import { CryptoService } from './crypto/crypto.service';
import { buildDataSourceOptions, DataSourceParts } from './database/data-source-options';
import { TransactionService } from './database/transaction.service';
import { HealthController } from './health/health.controller';
import { OutboundHttpService } from './outbound/outbound-http.service';
import { loggerOptions } from './logging/logger.options';
import { Clock } from './time/clock';
import { RouteKinds } from './http/route-kinds';
import { RateLimits } from './limits/rate-limits';
import { MetricsModule } from './metrics/metrics.module';
import { CoreGauges } from './metrics/core-gauges';

export interface CoreOptions {
  /** Whether this process runs job processors: a worker always; a server unless REDIS_URL is set and JOBS_IN_SERVER=false. */
  processJobs?: boolean;
  /** Stands in for the real clock (tests pass a TestClock and move it). */
  clock?: Clock;
}

/** Config, database, crypto, audit, logging, health, jobs and the outbox: what every domain module stands on. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, parts: DataSourceParts, options: CoreOptions = {}): DynamicModule {
    const processJobs = !config.redisUrl || (options.processJobs ?? config.jobsInServer);
    return {
      module: CoreModule,
      imports: [
        DiscoveryModule,
        LoggerModule.forRoot(loggerOptions(config)),
        TypeOrmModule.forRoot(buildDataSourceOptions(config.database, parts)),
        TypeOrmModule.forFeature([AuditEvent, Counter, OutboxEvent]),
        MetricsModule,
      ],
      controllers: [HealthController, AuditController],
      providers: [
        { provide: AppConfig, useValue: config },
        options.clock ? { provide: Clock, useValue: options.clock } : Clock,
        CryptoService,
        TransactionService,
        AuditService,
        AuditRepository,
        AuditExporter,
        OutboundHttpService,
        OutboxRepository,
        OutboxService,
        JobRegistry,
        config.redisUrl
          ? {
              provide: JobQueue,
              // BullMQ is loaded only when it is used: the embedded default starts without it.
              useFactory: async (registry: JobRegistry) => {
                const { BullMqJobQueue } = await import('./jobs/bullmq-job-queue');
                return new BullMqJobQueue(config, registry, processJobs);
              },
              inject: [JobRegistry],
            }
          : { provide: JobQueue, useClass: InProcessJobQueue },
        { provide: Broadcast, useFactory: () => (config.redisUrl ? new RedisBroadcast(config) : new LocalBroadcast()) },
        OutboxDispatcher,
        RouteKinds,
        CoreGauges,
        RateLimits,
      ],
      exports: [
        AppConfig,
        Clock,
        CryptoService,
        TransactionService,
        AuditService,
        AuditExporter,
        OutboundHttpService,
        OutboxService,
        JobQueue,
        Broadcast,
        OutboxDispatcher,
        RouteKinds,
        RateLimits,
      ],
    };
  }
}
