import 'reflect-metadata';
import { AppConfig, ConfigError } from '@portico/core';
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
  process.stdout.write(
    `Portico is listening on ${config.publicUrl} (console: ${config.publicUrl}/console, API docs: ${config.publicUrl}/api/docs)\n`,
  );
}

void main();
