import { ArgumentsHost, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HttpExceptionFilter, toErrorBody } from './http-exception.filter';

type RenderCallback = (err: Error | null, html?: string) => void;

/** A browser asking for /console/nope, and a response that records what was rendered or sent. */
function fakeHttp(renderFails: (locals: Record<string, unknown>) => boolean) {
  const sent: { status?: number; type?: string; body?: string; layouts: unknown[] } = { layouts: [] };
  const res = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return res;
    },
    type(t: string) {
      sent.type = t;
      return res;
    },
    send(body: string) {
      sent.body = body;
      res.headersSent = true;
      return res;
    },
    render(_view: string, locals: Record<string, unknown>, done: RenderCallback) {
      sent.layouts.push(locals.layout);
      if (renderFails(locals)) done(new Error('template broke'));
      else done(null, `<html>${String(locals.layout)}</html>`);
    },
  };
  const req = { path: '/console/nope', method: 'GET', originalUrl: '/console/nope', accepts: () => 'html' };
  const host = { switchToHttp: () => ({ getResponse: () => res as unknown as Response, getRequest: () => req as unknown as Request }) };
  return { sent, host: host as unknown as ArgumentsHost };
}

describe('HttpExceptionFilter error pages', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('renders with the locals the web layer adds (the console layout)', () => {
    const { sent, host } = fakeHttp(() => false);
    new HttpExceptionFilter(() => ({ layout: 'layouts/console' })).catch(new NotFoundException('No such page'), host);
    expect(sent).toMatchObject({ status: 404, body: '<html>layouts/console</html>', layouts: ['layouts/console'] });
  });

  it('falls back to the public layout when the hook throws', () => {
    const { sent, host } = fakeHttp(() => false);
    const hook = () => {
      throw new Error('no session');
    };
    new HttpExceptionFilter(hook).catch(new NotFoundException('No such page'), host);
    expect(sent).toMatchObject({ status: 404, body: '<html>layouts/public</html>' });
  });

  it('falls back to the public layout, then to plain text, when rendering fails', () => {
    const consoleBroken = fakeHttp((locals) => locals.layout === 'layouts/console');
    new HttpExceptionFilter(() => ({ layout: 'layouts/console' })).catch(new NotFoundException('No such page'), consoleBroken.host);
    expect(consoleBroken.sent).toMatchObject({
      status: 404,
      body: '<html>layouts/public</html>',
      layouts: ['layouts/console', 'layouts/public'],
    });

    const allBroken = fakeHttp(() => true);
    new HttpExceptionFilter(() => ({ layout: 'layouts/console' })).catch(new NotFoundException('No such page'), allBroken.host);
    expect(allBroken.sent).toMatchObject({ status: 404, type: 'text/plain', body: '404 Not Found: No such page' });
  });
});

describe('toErrorBody', () => {
  it('logs the unexpected with the request id and answers a bare 500 that reveals nothing', () => {
    const errors: unknown[][] = [];
    const logger = { error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
    const body = toErrorBody(new Error('db password is hunter2'), logger, 'req-42');
    expect(body).toMatchObject({ statusCode: 500, error: 'Internal Server Error' });
    expect(body.message).toContain('request id');
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(errors).toHaveLength(1);
    expect(errors[0][0]).toEqual({ reqId: 'req-42' });
    expect(String(errors[0][1])).toContain('db password is hunter2');
  });

  it('does not log what the caller did wrong', () => {
    const errors: unknown[] = [];
    const logger = { error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
    expect(toErrorBody(new NotFoundException('No such user'), logger, 'req-43')).toMatchObject({
      statusCode: 404,
      message: 'No such user',
    });
    expect(errors).toHaveLength(0);
  });
});

describe('HttpExceptionFilter when the session has ended', () => {
  beforeAll(() => Logger.overrideLogger(false));

  /** A request the guard (or the CSRF check) refused with 401; what the filter answered. */
  function refused(method: string, path: string, headers: Record<string, string> = {}) {
    const answer: { status?: number; location?: string; hxRedirect?: string; rendered?: boolean } = {};
    const res = {
      headersSent: false,
      status(code: number) {
        answer.status = code;
        return res;
      },
      redirect(code: number, to: string) {
        answer.status = code;
        answer.location = to;
      },
      set(name: string, value: string) {
        if (name === 'HX-Redirect') answer.hxRedirect = value;
        return res;
      },
      end() {},
      render() {
        answer.rendered = true;
      },
    };
    const all: Record<string, string> = { host: 'portico.test', ...headers };
    const req = { path, method, originalUrl: path, accepts: () => 'html', get: (name: string) => all[name.toLowerCase()] };
    const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }) } as unknown as ArgumentsHost;
    new HttpExceptionFilter().catch(new UnauthorizedException('Please sign in to the console'), host);
    return answer;
  }

  it('sends a page asked for to sign in and back to it', () => {
    expect(refused('GET', '/console/users?search=ada')).toEqual({
      status: 303,
      location: '/console/login?next=%2Fconsole%2Fusers%3Fsearch%3Dada',
    });
  });

  it('sends a form to sign in and back to the page it was on, which only this site’s Referer names', () => {
    const here = { referer: 'http://portico.test/console/tenants/acme?tab=keys' };
    expect(refused('POST', '/console/tenants/acme/api-keys', here)).toEqual({
      status: 303,
      location: '/console/login?next=%2Fconsole%2Ftenants%2Facme%3Ftab%3Dkeys&expired=1',
    });
    expect(refused('POST', '/console/tenants/acme/api-keys', { referer: 'https://evil.test/console/x' }).location).toBe(
      '/console/login?next=%2Fconsole&expired=1',
    );
    expect(refused('POST', '/account/password', { referer: 'not a url' }).location).toBe('/login?next=%2Faccount&expired=1');
    // htmx follows a 303 inside the page: it is told to load the sign-in page instead.
    expect(refused('POST', '/console/users/1/status', { ...here, 'hx-request': 'true' })).toMatchObject({
      status: 204,
      hxRedirect: '/console/login?next=%2Fconsole%2Ftenants%2Facme%3Ftab%3Dkeys&expired=1',
    });
  });

  it('shows other refused posts as an error page, as before', () => {
    expect(refused('POST', '/saml/acs')).toEqual({ status: 401, rendered: true });
  });
});
