import type { Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { RouteKinds } from '@portico/core';

// Static files and the browser's own favicon probe. With rolling sessions every response that
// passes the session middleware re-sends the cookie, so a stylesheet or favicon answered after a
// sign-in's redirect would put the old, signed-out session id back in the browser.
const STATIC = ['/assets/*', '/favicon.ico'];

/**
 * The web module's routes, read from its controllers: each is a page (a session, CSRF on form
 * posts, the page headers). Every other module's route is a machine route unless it says otherwise.
 */
export function declareWebRoutes(routes: RouteKinds, controllers: Type[]): void {
  // The whole console first: a mistyped console address gets the console's own 404 page.
  routes.declare(['/console/*', ...controllers.flatMap(routePaths)], 'page');
  routes.declare(STATIC, 'static');
}

/** The paths of a controller's handlers as Nest mounts them (`/console/tenants/:key`). */
export function routePaths(controller: Type): string[] {
  const prefixes = [(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined) ?? ''].flat();
  const proto = controller.prototype as Record<string, unknown>;
  const paths = new Set<string>();
  for (const name of Object.getOwnPropertyNames(proto)) {
    const handler = proto[name];
    if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
    const own = [(Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined) ?? ''].flat();
    for (const prefix of prefixes) for (const path of own) paths.add(join(prefix, path));
  }
  return [...paths];
}

function join(...parts: string[]): string {
  const path = parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');
  return `/${path}`;
}
