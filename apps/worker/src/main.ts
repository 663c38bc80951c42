import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppConfig, ConfigError, CoreModule } from '@portico/core';
import { ALL_MIGRATIONS } from '../../../migrations';
import { ALL_ENTITIES } from '../../server/src/entities';

/**
 * The job worker for scaled deployments. Job processors (webhook delivery, billing) register here
 * as their modules arrive; until then it boots, connects to the database and idles.
 */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = new AppConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  @Module({ imports: [CoreModule.forRoot(config, { entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS })] })
  class WorkerModule {}
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  app.enableShutdownHooks();
  // Nothing else holds the event loop open on SQLite; the worker waits for jobs until it is stopped.
  const idle = setInterval(() => undefined, 60_000);
  process.once('SIGTERM', () => clearInterval(idle));
  process.once('SIGINT', () => clearInterval(idle));
  new Logger('Worker').log('Portico worker started; no job processors are registered yet');
}

void main();
