import type { NestExpressApplication } from '@nestjs/platform-express';
import { projectRoot } from '@portico/core';
import type { Request, Response } from 'express';
import hbs from 'hbs';
import { join } from 'node:path';
import { formatPlan } from './console/plan-fields';
import { formatUtc } from './dates';

/** Handlebars (auto-escaping: `{{x}}` is always escaped) with layouts, partials and a few helpers. */
export function configureViews(app: NestExpressApplication): void {
  const root = join(projectRoot(), 'libs/web');
  app.setBaseViewsDir(join(root, 'views'));
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layouts/console' });
  hbs.registerPartials(join(root, 'views/partials'));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hbs.registerHelper('date', (d: unknown) => (d instanceof Date || typeof d === 'string' || typeof d === 'number' ? formatUtc(d) : ''));
  hbs.registerHelper('json', (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v)));
  // A detail value as a person reads it: text as is, lists joined, anything else as JSON.
  hbs.registerHelper('show', (v: unknown) =>
    typeof v === 'string'
      ? v
      : Array.isArray(v) && v.every((x) => typeof x === 'string')
        ? v.join(', ')
        : v === null || v === undefined
          ? '—'
          : JSON.stringify(v),
  );
  // On a field's control: while the field has an error (the field_error partial shows it), says so
  // and points at it, so a screen reader reads the error with the field. Same context as the partial.
  hbs.registerHelper('fieldAria', function (this: { fieldErrors?: Record<string, unknown> } | undefined, field: string) {
    const errors = this?.fieldErrors?.[field];
    if (!Array.isArray(errors) || errors.length === 0) return '';
    return new hbs.handlebars.SafeString(` aria-invalid="true" aria-describedby="${hbs.handlebars.escapeExpression(`${field}-error`)}"`);
  });
  hbs.registerHelper('plan', (plan: unknown) => formatPlan(plan as Parameters<typeof formatPlan>[0]));
  app.useStaticAssets(join(root, 'assets'), { prefix: '/assets/', maxAge: '1h' });
  // Browsers ask for /favicon.ico whatever a page links (Swagger's pages, a plain-text error): the same icon.
  const favicon = join(root, 'assets/favicon.svg');
  app.use('/favicon.ico', (_req: Request, res: Response) => res.type('image/svg+xml').sendFile(favicon, { maxAge: '1d' }));
  app.useStaticAssets(join(projectRoot(), 'node_modules/htmx.org/dist'), { prefix: '/assets/vendor/', maxAge: '1d' });
}
