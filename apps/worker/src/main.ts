// First: tracing (when configured) patches modules as they load.
import { tracing } from './tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppConfig, ConfigError, exitOnSignals } from '@portico/core';
import { WorkerModule } from './worker.module';

/**
 * The job worker for scaled deployments (REDIS_URL): webhook deliveries, billing and the outbox
 * dispatcher, on BullMQ. Run any number of them. SIGTERM stops taking jobs, lets running ones
 * finish, then exits (within SHUTDOWN_TIMEOUT_SECONDS, Redis reachable or not); a worker killed
 * outright loses its jobs' locks and another worker takes them.
 */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = new AppConfig();
    if (!config.redisUrl) throw new ConfigError(['REDIS_URL is required by the worker: without Redis the server runs every job itself']);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), { bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  exitOnSignals(
    () => app.close().finally(() => tracing?.shutdown()),
    config.shutdownTimeoutMs,
    new Logger('Worker'),
    'finishing running jobs',
  );
  await app.init();
  new Logger('Worker').log(
    `Portico worker started (concurrency ${config.jobsConcurrency} per job type, queue prefix "${config.jobsPrefix}")`,
  );
  process.stdout.write('worker ready\n');
}

void main();
