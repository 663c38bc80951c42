// First: tracing (when configured) patches modules as they load.
import { tracing } from './tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig, ConfigError, exitOnSignals } from '@portico/core';
import { createApp } from './create-app';
import { portProblem, reservePort } from './reserve-port';

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
  const cannotListen = (err: unknown): never => {
    const problem = portProblem(config.port, err);
    if (!problem) throw err;
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  };
  // The port first: a start that cannot serve must not create the first admin (its password shows once).
  const reservation = config.port ? await reservePort(config.port).catch(cannotListen) : null;
  const app = await createApp(config);
  // Initialised before the port changes hands, so nothing slow runs between release and listen.
  await app.init();
  await reservation?.release();
  await app.listen(config.port).catch(cannotListen);
  exitOnSignals(
    () => app.close().finally(() => tracing?.shutdown()),
    config.shutdownTimeoutMs,
    new Logger('Server'),
    'finishing open requests and running jobs',
  );
  process.stdout.write(
    `Portico is listening on ${config.publicUrl} (console: ${config.publicUrl}/console, API docs: ${config.publicUrl}/api/docs)\n`,
  );
}

void main();
