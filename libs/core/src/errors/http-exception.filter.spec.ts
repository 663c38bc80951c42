import { ArgumentsHost, Logger, NotFoundException } from '@nestjs/common';
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
