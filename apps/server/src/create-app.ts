import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AdminBootstrapService } from '@portico/auth';
import { AppConfig, withStartupLock } from '@portico/core';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

/** Builds the HTTP app: Nest, then the first-start work (migrations when configured, first admin), then the middleware. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { bufferLogs: true, bodyParser: false });
  const dataSource = app.get(DataSource);
  await withStartupLock(
    dataSource,
    async () => {
      if (config.migrateOnStart) await dataSource.runMigrations({ transaction: 'each' });
      await app.get(AdminBootstrapService).run();
    },
    () => process.stdout.write('Waiting for another Portico instance to finish its first-start work (migrations, first admin)\n'),
  );
  const extras = configureApp(app, config);
  // Nest's application proxy ignores assignments (its set trap only reads), so `app.close = …` did
  // nothing and the Redis connection outlived the app. The instance property is defined instead,
  // around Nest's own close taken from the prototype (the proxy's close would call this one again).
  const nestClose = (Object.getPrototypeOf(app) as { close(this: NestExpressApplication): Promise<void> }).close;
  Object.defineProperty(app, 'close', {
    configurable: true,
    writable: true,
    value: async () => {
      await nestClose.call(app);
      await extras.close();
    },
  });
  return app;
}
