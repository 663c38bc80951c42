import { NestApplication, NestFactory } from '@nestjs/core';
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
  // Nest's application proxy ignores plain assignments (its set trap only reads), and its get trap
  // calls whatever `close` is now: define the property, and call the class's own close from it.
  Object.defineProperty(app, 'close', {
    value: async () => {
      await NestApplication.prototype.close.call(app);
      await extras.close();
    },
    configurable: true,
    writable: true,
  });
  return app;
}
