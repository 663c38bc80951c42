import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AdminBootstrapService } from '@portico/auth';
import { AppConfig, CoreOptions, withStartupLock } from '@portico/core';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

/** Builds the HTTP app: Nest, then the first-start work (migrations when configured, first admin), then the middleware. */
export async function createApp(config: AppConfig, core: Pick<CoreOptions, 'clock'> = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, core), { bufferLogs: true, bodyParser: false });
  limitRequestTime(app.getHttpServer(), config.httpRequestTimeoutSeconds);
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

// Node's own default for an idle connection between two requests.
const KEEP_ALIVE_MS = 5_000;

/**
 * A client gets `seconds` to send a whole request, headers and body; then Node answers 408 and
 * closes the connection, so a body that never completes does not hold it.
 */
function limitRequestTime(server: Server, seconds: number): void {
  const ms = seconds * 1000;
  server.requestTimeout = ms;
  server.headersTimeout = ms;
  server.keepAliveTimeout = Math.min(KEEP_ALIVE_MS, ms);
  // Node looks for expired requests on this interval (30 s by default, added to every timeout). It
  // is a constructor option that Nest does not pass, read again when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(1_000, ms);
}
