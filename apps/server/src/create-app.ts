import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '@portico/core';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

/** Builds the HTTP app: migrations applied first when configured, then Nest, then the middleware. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { bufferLogs: true, bodyParser: false });
  if (config.migrateOnStart) await app.get(DataSource).runMigrations({ transaction: 'each' });
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
