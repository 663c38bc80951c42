import type { ErrorBody } from '@portico/core';
import type { Request, Response } from 'express';
import { usePageHeaders } from '../security-headers';
import { CONSOLE_NAV, consolePage } from './console-page';

/**
 * Error pages under /console for a signed-in platform admin keep the console's layout and menu,
 * so a wrong link does not look like being thrown out. Anyone else gets the public error page:
 * `req.portico` is only set once the access guard has let a platform admin through.
 */
export function consoleErrorLocals(req: Request, res: Response, body: ErrorBody): Record<string, unknown> | null {
  // Any route may answer a browser with this page (a mistyped URL is nobody's route): it gets the
  // page headers, or its stylesheet is refused by the API's policy.
  usePageHeaders(req, res);
  if (!/^\/console(\/|$)/.test(req.path) || req.portico?.actor.kind !== 'platform-admin' || !req.session) return null;
  return { ...consolePage(req, body.error, activeNavHref(req.path)), layout: 'layouts/console', inConsole: true };
}

// The menu entry whose area the path is in (the longest matching prefix), so the menu shows where the admin was.
function activeNavHref(path: string): string {
  const matches = CONSOLE_NAV.filter((item) => item.href !== '/console' && (path === item.href || path.startsWith(`${item.href}/`)));
  return matches.sort((a, b) => b.href.length - a.href.length)[0]?.href ?? (path === '/console' ? '/console' : '');
}
