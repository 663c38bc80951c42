import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig, ConfigError, exitOnSignals } from '@portico/core';
import { createApp } from './create-app';

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
  const app = await createApp(config);
  await app.listen(config.port);
  exitOnSignals(() => app.close(), config.shutdownTimeoutMs, new Logger('Server'), 'finishing open requests and running jobs');
  process.stdout.write(
    `Portico is listening on ${config.publicUrl} (console: ${config.publicUrl}/console, API docs: ${config.publicUrl}/api/docs)\n`,
  );
}

void main();
