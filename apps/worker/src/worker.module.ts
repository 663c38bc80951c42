import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@portico/core';
import { coreModule, DOMAIN_MODULES } from '../../server/src/portico-modules';

/** The server's core and domain modules without HTTP: processes jobs (and dispatches the outbox). */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [coreModule(config, { processJobs: true }), ...DOMAIN_MODULES] };
  }
}
