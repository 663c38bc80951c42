import type { NestExpressApplication } from '@nestjs/platform-express';
import { projectRoot } from '@portico/core';
import hbs from 'hbs';
import { join } from 'node:path';

/** Handlebars (auto-escaping: `{{x}}` is always escaped) with layouts, partials and a few helpers. */
export function configureViews(app: NestExpressApplication): void {
  const root = join(projectRoot(), 'libs/web');
  app.setBaseViewsDir(join(root, 'views'));
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layouts/console' });
  hbs.registerPartials(join(root, 'views/partials'));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('date', (d: unknown) => (d instanceof Date || typeof d === 'string' ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : ''));
  hbs.registerHelper('json', (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v)));
  app.useStaticAssets(join(root, 'assets'), { prefix: '/assets/', maxAge: '1h' });
  app.useStaticAssets(join(projectRoot(), 'node_modules/htmx.org/dist'), { prefix: '/assets/vendor/', maxAge: '1d' });
}
