import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppConfig, ConfigError } from '@portico/core';
import { WorkerModule } from './worker.module';

/**
 * The job worker for scaled deployments (REDIS_URL): webhook deliveries, billing and the outbox
 * dispatcher, on BullMQ. Run any number of them. SIGTERM stops taking jobs, lets running ones
 * finish, then exits; a worker killed outright loses its jobs' locks and another worker takes them.
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
  const logger = new Logger('Worker');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing running jobs, then exiting`);
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`Shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await app.init();
  logger.log(`Portico worker started (concurrency ${config.jobsConcurrency} per job type, queue prefix "${config.jobsPrefix}")`);
  process.stdout.write('worker ready\n');
}

void main();
