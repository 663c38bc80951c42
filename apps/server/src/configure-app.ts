import { ValidationPipe, BadRequestException, UnsupportedMediaTypeException, type ValidationError } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  DatabaseSessionBackend,
  PorticoSessionStore,
  RedisSessionBackend,
  UserSessionsService,
  saveSessionBeforeRedirect,
  whileStoreAnswers,
  type SessionBackend,
} from '@portico/auth';
import {
  AppConfig,
  BASIC_SCHEME,
  BEARER_SCHEME,
  bodyParseFailure,
  closeRedis,
  connectRedis,
  documentErrors,
  HttpExceptionFilter,
  HttpMetrics,
  refuseMalformedInput,
  requestLogger,
  RouteKinds,
} from '@portico/core';
import { configureViews, consoleErrorLocals, csrfMiddleware, securityHeaders, signInPageOf } from '@portico/web';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
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
  let redis: Redis | null = null;
  let backend: SessionBackend;
  if (config.redisUrl) {
    redis = connectRedis(config.redisUrl, 'sessions');
    backend = new RedisSessionBackend(redis);
  } else {
    backend = new DatabaseSessionBackend(app.get(DataSource));
  }
  app.get(UserSessionsService).use(backend);
  const idleMs = config.sessionIdleMinutes * 60_000;
  const sessions = whileStoreAnswers(
    backend,
    session({
      name: 'portico.sid',
      secret: config.secretKey,
      store: new PorticoSessionStore(backend, idleMs),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      // No `proxy` option: the session then asks req.secure, which follows the app's `trust proxy`.
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: idleMs, path: '/' },
    }),
  );
  const redirectsAfterSave = saveSessionBeforeRedirect();
  // Each module declares its own routes' kinds (see RouteKinds); the app only its API docs.
  const routes = app.get(RouteKinds);
  routes.declare(['/api/docs', '/api/docs/*', '/api/docs-json'], 'docs');
  const parseJson = express.json({ limit: config.bodyLimit, type: parsedAs(routes, isJson) });
  const parseForm = express.urlencoded({ limit: config.bodyLimit, extended: false, type: parsedAs(routes, isForm) });

  // Everything in front of the routes, in order, as one layer of Express's router (each layer it
  // walks costs a few microseconds; every request passes all of these).
  const inFront = inOrder(
    requestLogger(config),
    // GET, HEAD and most DELETEs have no body: nothing to parse. The API reads JSON only.
    (req, res, next) => {
      if (!hasBody(req)) return next();
      if (isApiPath(req.url) && !isJson(req) && hasContent(req)) return next(new UnsupportedMediaTypeException(NOT_JSON));
      parseJson(req, res, (err?: unknown) => (err ? next(bodyParseFailure(err)) : parseForm(req, res, next)));
    },
    // Nesting too deep for a validator and text no column takes (NUL, control characters, lone
    // surrogates) are a 400 here, for every route, before any route or validator reads them.
    refuseMalformedInput(),
    securityHeaders(routes),
    // Only pages read a session: machine routes and static files skip the store lookup entirely.
    (req, res, next) => {
      const { kind } = routes.of(req);
      if (kind !== 'page' && kind !== 'cross-site-page') return next();
      sessions(req, res, (err?: unknown) => (err ? next(err) : redirectsAfterSave(req, res, next)));
    },
    csrfMiddleware(routes),
  );
  // A route that answers alone (the entitlement check) passes none of it.
  const unlessOwn: RequestHandler = (req, res, next) => (routes.of(req).kind === 'own' ? next() : inFront(req, res, next));
  // Metrics (when on) time every request from here, the entitlement check's too, and answer /metrics.
  app.use(app.get(HttpMetrics).around(unlessOwn));
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
  app.useGlobalFilters(new HttpExceptionFilter(consoleErrorLocals, signInPageOf));

  const document = documentErrors(
    SwaggerModule.createDocument(
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
        .addBasicAuth(
          { type: 'http', scheme: 'basic', description: 'Tenant API key: keyId as user name, secret as password' },
          BASIC_SCHEME,
        )
        .build(),
    ),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', customSiteTitle: 'Portico API' });
  return { close: () => closeRedis(redis) };
}

/**
 * Middleware run one after the other within a single Express layer; an error (passed on or thrown)
 * skips the rest and goes to Express's error handling, as it would between layers.
 */
function inOrder(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err) return next(err);
      const handler = handlers[i++];
      if (!handler) return next();
      try {
        void handler(req, res, step);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}

/** What body-parser itself checks before reading: a declared length or a chunked body. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

/** A body with something in it (an empty one, as some clients send with a bodiless POST, is no body). */
function hasContent(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
}

const NOT_JSON = 'The API reads JSON: send the request body with Content-Type: application/json';

function isApiPath(url: string | undefined): boolean {
  return url?.startsWith('/api/v1/') ?? false;
}

function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/** application/json, or a JSON-based type such as application/merge-patch+json. */
function isJson(req: IncomingMessage): boolean {
  const type = mediaType(req);
  return type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

function isForm(req: IncomingMessage): boolean {
  return mediaType(req) === 'application/x-www-form-urlencoded';
}

/** The parsers' own media-type test, minus the routes that declare they read their body themselves. */
function parsedAs(routes: RouteKinds, is: (req: IncomingMessage) => boolean): (req: IncomingMessage) => boolean {
  return (req) => !routes.of(req).readsOwnBody && is(req);
}

/**
 * One reason per field. class-validator checks a field's rules bottom-up (the last decorator
 * first), so the last reason it lists is the field's first rule, usually its type: `?limit=1&limit=2`
 * gets "limit must be an integer number" rather than three contradictory reasons, and a missing
 * email "email must be a valid email address" rather than a length complaint too.
 */
function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const first = Object.values(e.constraints ?? {}).at(-1);
    const own = first === undefined ? [] : [first.startsWith(e.property) && parent ? `${parent}.${first}` : first];
    return [...own, ...flatten(e.children ?? [], path)];
  });
}
