import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/**
 * What the app-wide middleware in front of the routes do for a route:
 * - `machine`, the default: called by programs; no session, no CSRF token, the API's headers;
 * - `page`: a browser page: a session, a CSRF token on every form post, the page headers;
 * - `cross-site-page`: a page another site posts to by design (the SAML ACS): a session, no CSRF token;
 * - `static` (files) and `docs` (Swagger UI): no session, their own headers;
 * - `own`: answered by its module alone; the app-wide middleware let it through untouched.
 */
export type RouteKind = 'machine' | 'page' | 'cross-site-page' | 'static' | 'docs' | 'own';

export interface RouteTraits {
  kind: RouteKind;
  /** The route reads its request body itself: the app's body parsers leave it alone. */
  readsOwnBody: boolean;
}

export interface RouteDeclaration {
  readsOwnBody?: boolean;
  /** Only these methods (upper case); any method when omitted. */
  methods?: string[];
}

interface Declared {
  source: string;
  methods: string[] | null;
  traits: RouteTraits;
}

const MACHINE: RouteTraits = { kind: 'machine', readsOwnBody: false };
const DECIDED = Symbol('routeTraits');
type Marked = IncomingMessage & { [DECIDED]?: RouteTraits };

/**
 * Each module declares the kind of its own routes here (from its NestModule.configure), so no
 * other module or the app keeps a list of its paths. A route nobody declared is a machine route: a
 * new route never gets a session or a CSRF check by accident. A request's kind is looked up once.
 *
 * Paths are written as Nest writes them: `:name` is one segment, a trailing `/*` any rest (or none).
 * The first declaration that matches wins.
 */
@Injectable()
export class RouteKinds {
  private readonly declared: Declared[] = [];
  private matcher: RegExp | null = null;

  declare(paths: string | string[], kind: RouteKind, options: RouteDeclaration = {}): void {
    const traits: RouteTraits = { kind, readsOwnBody: options.readsOwnBody ?? false };
    const methods = options.methods?.map((m) => m.toUpperCase()) ?? null;
    for (const path of Array.isArray(paths) ? paths : [paths]) this.declared.push({ source: patternSource(path), methods, traits });
    this.matcher = null;
  }

  /** The request's kind, decided on its first call and kept on the request. */
  of(req: IncomingMessage): RouteTraits {
    const marked = req as Marked;
    return (marked[DECIDED] ??= this.decide(req.method ?? 'GET', pathOf(req.url)));
  }

  private decide(method: string, path: string): RouteTraits {
    // One expression, one group per declaration: the first group that matched is the declaration.
    this.matcher ??= new RegExp(this.declared.map((d) => `(${d.source})`).join('|') || '(?!)', 'i');
    const match = this.matcher.exec(path);
    if (!match) return MACHINE;
    for (let i = 0; i < this.declared.length; i++) {
      if (match[i + 1] === undefined) continue;
      const d = this.declared[i];
      if (!d.methods || d.methods.includes(method)) return d.traits;
      // Same path, other method: a later declaration may still cover it.
      return this.decideAfter(i, method, path);
    }
    return MACHINE;
  }

  private decideAfter(index: number, method: string, path: string): RouteTraits {
    for (const d of this.declared.slice(index + 1)) {
      if ((!d.methods || d.methods.includes(method)) && new RegExp(d.source, 'i').test(path)) return d.traits;
    }
    return MACHINE;
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const mark = raw.indexOf('?');
  return mark < 0 ? raw : raw.slice(0, mark);
}

/** `/t/:tenantKey/saml/*` → an anchored expression without capturing groups; a trailing slash is allowed, as Express allows it. */
function patternSource(path: string): string {
  const rest = path.endsWith('/*');
  const fixed = rest ? path.slice(0, -2) : path;
  const body = fixed
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return `^${body}${rest ? '(?:/.*)?' : '/?'}$`;
}
