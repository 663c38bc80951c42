import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainException, ErrorCode, TooManyRequestsError, WireError } from './domain.exception';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.Invalid]: HttpStatus.BAD_REQUEST,
  [ErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [ErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.Conflict]: HttpStatus.CONFLICT,
  [ErrorCode.Gone]: HttpStatus.GONE,
  [ErrorCode.TooManyRequests]: HttpStatus.TOO_MANY_REQUESTS,
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Maps anything thrown to `{statusCode, error, message}`; the unexpected is logged (with the
 * request's id, to find its access log line) and becomes a bare 500.
 */
export function toErrorBody(exception: unknown, logger: Logger, requestId?: string): ErrorBody {
  if (exception instanceof DomainException) {
    const statusCode = STATUS_BY_CODE[exception.code];
    return {
      statusCode,
      error: reasonPhrase(statusCode),
      message: exception.message,
      ...(exception.details ? { details: exception.details } : {}),
    };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const fromBody = bodyParserError(exception.cause);
    if (fromBody) return fromBody;
    const response = exception.getResponse();
    let message = exception.message;
    if (typeof response === 'object' && response && 'message' in response) {
      const m = (response as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    return { statusCode, error: reasonPhrase(statusCode), message };
  }
  const bodyError = bodyParserError(exception);
  if (bodyError) return bodyError;
  logger.error({ reqId: requestId }, exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return {
    statusCode: 500,
    error: 'Internal Server Error',
    message: 'Something went wrong on our side. The request id in the x-request-id header helps us find it.',
  };
}

/**
 * body-parser reports unparsable JSON as a SyntaxError, and Nest rewraps any SyntaxError as a
 * BadRequestException that keeps only the parser's message ("Expected double-quoted property
 * name…"), which does not say the body is at fault. Handed on through this, the error keeps its
 * type and the filter answers "The request body is not valid JSON (…)".
 */
export function bodyParseFailure(err: unknown): unknown {
  if (!(err instanceof SyntaxError)) return err;
  const { status, type } = err as SyntaxError & { status?: number; type?: string };
  return Object.assign(new Error(err.message), { status, type, expose: true });
}

// body-parser signals its failures with a status and a type on the error.
function bodyParserError(exception: unknown): ErrorBody | null {
  if (!exception || typeof exception !== 'object') return null;
  const e = exception as { status?: number; type?: string; expose?: boolean; message?: string };
  if (e.type === 'entity.parse.failed')
    return { statusCode: 400, error: 'Bad Request', message: `The request body is not valid JSON${e.message ? ` (${e.message})` : ''}` };
  if (e.type === 'entity.too.large') return { statusCode: 413, error: 'Payload Too Large', message: 'The request body is too large' };
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    // http-errors marks 4xx messages as safe to show (expose); others get a generic text.
    const message =
      e.expose && e.message ? e.message : e.type ? `The request body could not be read (${e.type})` : 'The request was refused';
    return { statusCode: e.status, error: reasonPhrase(e.status), message };
  }
  return null;
}

/** The same-origin page a form was sent from, as the Referer names it (path and query), or null. */
function formPage(req: Request): string | null {
  const referer = req.get('referer');
  if (!referer) return null;
  try {
    const url = new URL(referer);
    return url.host === req.get('host') ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

export function reasonPhrase(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/**
 * Locals for the HTML error page of a request (for instance the console's layout and menu for a
 * signed-in admin); null keeps the public layout. Supplied by the web layer, which owns the views.
 */
export type ErrorPageLocals = (req: Request, res: Response, body: ErrorBody) => Record<string, unknown> | null;

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly pageLocals?: ErrorPageLocals,
    /** The sign-in page for a person outside the console (a tenant's own), null for Portico's `/login`. */
    private readonly signInPage?: (req: Request) => string | null,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    if (exception instanceof WireError) {
      if (!res.headersSent) res.status(exception.status).json(exception.body);
      return;
    }
    const body = toErrorBody(exception, this.logger, req.id === undefined ? undefined : String(req.id));
    if (res.headersSent) return;
    if (exception instanceof TooManyRequestsError) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    const wantsHtml = !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html';
    if (wantsHtml) {
      res.status(body.statusCode);
      if (body.statusCode === 401) {
        const inConsole = req.path.startsWith('/console');
        const login = inConsole ? '/console/login' : (this.signInPage?.(req) ?? '/login');
        const htmx = req.get('HX-Request') === 'true';
        if (req.method === 'GET' && !htmx) {
          res.redirect(303, `${login}?next=${encodeURIComponent(req.originalUrl)}`);
          return;
        }
        // A console or account form (or an htmx call) after the session ended: sign in, then back
        // to the page it was on. What was sent is not kept (it may hold a secret); the sign-in page says so.
        if (/^\/(console|account)(\/|$)/.test(req.path)) {
          const back = formPage(req) ?? (inConsole ? '/console' : '/account');
          const to = `${login}?next=${encodeURIComponent(back)}${req.method === 'GET' ? '' : '&expired=1'}`;
          if (htmx) res.set('HX-Redirect', to).status(204).end();
          else res.redirect(303, to);
          return;
        }
      }
      this.renderPage(req, res, body);
      return;
    }
    res.status(body.statusCode).json(body);
  }

  // Rendering an error must not fail in turn: a broken page hook or layout falls back to the
  // public layout, and that to plain text.
  private renderPage(req: Request, res: Response, body: ErrorBody): void {
    const base = { title: body.error, error: body, layout: 'layouts/public' };
    const plain = () => {
      if (!res.headersSent) res.type('text/plain').send(`${body.statusCode} ${body.error}: ${body.message}`);
    };
    const render = (locals: Record<string, unknown>, onError: () => void) =>
      res.render('pages/error', locals, (err: Error | null, html?: string) => {
        if (err) {
          this.logger.error(`Error page failed to render: ${err.message}`);
          return onError();
        }
        if (!res.headersSent) res.send(html);
      });
    let extra: Record<string, unknown> | null = null;
    try {
      extra = this.pageLocals?.(req, res, body) ?? null;
    } catch (err) {
      this.logger.error(`Error page locals failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      if (extra) render({ ...base, ...extra }, () => render(base, plain));
      else render(base, plain);
    } catch {
      plain();
    }
  }
}
