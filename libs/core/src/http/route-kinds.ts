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
  pattern: RegExp;
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
  private readonly declared: { first: string | null; entry: Declared }[] = [];
  // Declarations by the path's first segment (a parameter there goes in every list), so a request
  // tests only the few declared under its own first segment.
  private byFirstSegment: Map<string, Declared[]> | null = null;
  private anyFirstSegment: Declared[] = [];

  declare(paths: string | string[], kind: RouteKind, options: RouteDeclaration = {}): void {
    const traits: RouteTraits = { kind, readsOwnBody: options.readsOwnBody ?? false };
    const methods = options.methods?.map((m) => m.toUpperCase()) ?? null;
    for (const path of Array.isArray(paths) ? paths : [paths]) {
      const first = firstSegment(path);
      this.declared.push({ first: first.startsWith(':') ? null : first, entry: { pattern: pattern(path), methods, traits } });
    }
    this.byFirstSegment = null;
  }

  /** The request's kind, decided on its first call and kept on the request. */
  of(req: IncomingMessage): RouteTraits {
    const marked = req as Marked;
    return (marked[DECIDED] ??= this.decide(req.method ?? 'GET', pathOf(req.url)));
  }

  private decide(method: string, path: string): RouteTraits {
    const candidates = this.index().get(firstSegment(path)) ?? this.anyFirstSegment;
    for (const d of candidates) if ((!d.methods || d.methods.includes(method)) && d.pattern.test(path)) return d.traits;
    return MACHINE;
  }

  private index(): Map<string, Declared[]> {
    if (this.byFirstSegment) return this.byFirstSegment;
    const index = new Map<string, Declared[]>();
    const any: Declared[] = [];
    for (const { first, entry } of this.declared) {
      if (first === null) {
        any.push(entry);
        for (const list of index.values()) list.push(entry);
      } else {
        const list = index.get(first) ?? [...any];
        list.push(entry);
        index.set(first, list);
      }
    }
    this.anyFirstSegment = any;
    return (this.byFirstSegment = index);
  }
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const mark = raw.indexOf('?');
  return mark < 0 ? raw : raw.slice(0, mark);
}

/** `/t/:tenantKey/saml/*` → an expression; a trailing slash is allowed and case ignored, as Express does. */
function pattern(path: string): RegExp {
  const rest = path.endsWith('/*');
  const fixed = rest ? path.slice(0, -2) : path;
  const body = fixed
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}${rest ? '(?:/.*)?' : '/?'}$`, 'i');
}
