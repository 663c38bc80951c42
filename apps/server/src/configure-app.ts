import { ValidationPipe, BadRequestException, type ValidationError } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  DatabaseSessionBackend,
  PorticoSessionStore,
  RedisSessionBackend,
  UserSessionsService,
  saveSessionBeforeRedirect,
  type SessionBackend,
} from '@portico/auth';
import { AppConfig, BASIC_SCHEME, BEARER_SCHEME, HttpExceptionFilter, requestLogger } from '@portico/core';
import { EntitlementCheckService, entitlementCheckRoute } from '@portico/entitlements';
import { readsOwnBody } from '@portico/external-login';
import { configureViews, consoleErrorLocals, csrfMiddleware, isStatelessPath, securityHeaders } from '@portico/web';
import type { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import type { IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import { Logger } from 'nestjs-pino';
import { DataSource } from 'typeorm';

/** Everything around the Nest app that both `main.ts` and the tests need, in one place. */
export function configureApp(app: NestExpressApplication, config: AppConfig): { close(): Promise<void> } {
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Responses are per caller (API) or carry a fresh CSRF token (pages): an ETag would be hashed on
  // every response and never match. Static assets keep serve-static's own validators.
  app.set('etag', false);
  // The entitlement check (repositories call it on every access) goes before every other middleware.
  app.use(entitlementCheckRoute(app.get(EntitlementCheckService)));
  app.use(requestLogger(config));
  app.useBodyParser('json', { limit: config.bodyLimit, type: parsedAs('application/json') });
  app.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: false, type: parsedAs('application/x-www-form-urlencoded') });
  app.use(securityHeaders());

  let redis: Redis | null = null;
  let backend: SessionBackend;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
    backend = new RedisSessionBackend(redis);
  } else {
    backend = new DatabaseSessionBackend(app.get(DataSource));
  }
  app.get(UserSessionsService).use(backend);
  const idleMs = config.sessionIdleMinutes * 60_000;
  const sessions = session({
    name: 'portico.sid',
    secret: config.secretKey,
    store: new PorticoSessionStore(backend, idleMs),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: config.trustProxy,
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: idleMs, path: '/' },
  });
  // The API and health checks never read a session: they skip the store lookup entirely.
  const redirectsAfterSave = saveSessionBeforeRedirect();
  app.use((req: Request, res: Response, next: NextFunction) =>
    isStatelessPath(req.path) ? next() : sessions(req, res, (err?: unknown) => (err ? next(err) : redirectsAfterSave(req, res, next))),
  );
  app.use(csrfMiddleware());
  configureViews(app);

  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
      exceptionFactory: (errors) => new BadRequestException(flatten(errors).join('; ')),
    }),
  );
  app.useGlobalFilters(new HttpExceptionFilter(consoleErrorLocals));

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Portico API')
      .setDescription(
        'Identity, entitlement and billing hub. Platform admins use a Bearer token; partner portals (tenants) use HTTP Basic with an API key.',
      )
      .setVersion('1')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', bearerFormat: 'opaque token', description: 'Platform-admin API token' },
        BEARER_SCHEME,
      )
      .addBasicAuth({ type: 'http', scheme: 'basic', description: 'Tenant API key: keyId as user name, secret as password' }, BASIC_SCHEME)
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', customSiteTitle: 'Portico API' });
  app.enableShutdownHooks();
  return { close: async () => void (await redis?.quit()) };
}

/**
 * The parsers' own media-type test, minus the routes that read their body themselves:
 * POST /external-login answers a body that is too large or not JSON by its contract, not with a 4xx.
 */
function parsedAs(mediaType: string): (req: IncomingMessage) => boolean {
  return (req) =>
    !readsOwnBody(req.url) &&
    String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase() === mediaType;
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) && parent ? `${parent}.${m}` : m));
    return [...own, ...flatten(e.children ?? [], path)];
  });
}
