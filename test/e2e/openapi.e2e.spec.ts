import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

interface Operation {
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  requestBody?: unknown;
  parameters?: unknown[];
}
interface Schema {
  $ref?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, Schema> };
}

interface RouteLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** `:id` → `{id}`, so Express paths and OpenAPI paths compare. */
const normalize = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** "GET /api/v1/users/{id}" for every route the running Express app really serves. */
function appRoutes(t: TestApp): Set<string> {
  const express = t.app.getHttpAdapter().getInstance() as { router: { stack: RouteLayer[] } };
  const routes = new Set<string>();
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const path of paths) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && HTTP_METHODS.includes(method)) routes.add(`${method.toUpperCase()} ${normalize(path)}`);
      }
    }
  }
  return routes;
}

function documentedRoutes(doc: OpenApiDocument): Map<string, Operation> {
  const ops = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (HTTP_METHODS.includes(method)) ops.set(`${method.toUpperCase()} ${path}`, op);
    }
  }
  return ops;
}

// The documentation's own pages are the only /api routes that are not part of the API.
const isApiRoute = (route: string) => {
  const path = route.split(' ')[1];
  return path.startsWith('/api/') && !/^\/api\/docs($|[-/])/.test(path);
};

describe.each(databaseKinds())('OpenAPI document (%s)', (kind) => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let tenant: TenantFixture;
  beforeAll(async () => {
    t = await startTestApp(kind);
    const res = await t.http.get('/api/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    doc = res.body;
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());

  it('is an OpenAPI 3 document with both security schemes', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toMatchObject({
      platformAdmin: { type: 'http', scheme: 'bearer' },
      tenantApiKey: { type: 'http', scheme: 'basic' },
    });
  });

  it('documents exactly the /api routes the app serves', () => {
    const served = appRoutes(t);
    const documented = new Set(documentedRoutes(doc).keys());
    // Sanity: the collection really found the app's routes.
    expect(served).toContain('GET /api/v1/users/{id}');
    expect(served).toContain('DELETE /api/v1/organizations/{id}/members/{userId}');

    const undocumented = [...served].filter(isApiRoute).filter((r) => !documented.has(r));
    const phantom = [...documented].filter((r) => !served.has(r));
    expect({ undocumented, phantom }).toEqual({ undocumented: [], phantom: [] });
    expect([...documented].filter(isApiRoute).length).toBeGreaterThanOrEqual(22);
  });

  it('reads as an index: every operation has a one-line summary and one tag for its domain', () => {
    const unfit: string[] = [];
    for (const [route, op] of documentedRoutes(doc) as Map<string, Operation & { summary?: string; tags?: string[] }>) {
      if (!op.summary || op.summary.length > 80 || /[\n.]$|\n/.test(op.summary))
        unfit.push(`${route}: summary ${JSON.stringify(op.summary)}`);
      if (op.tags?.length !== 1) unfit.push(`${route}: tags ${JSON.stringify(op.tags)}`);
    }
    expect(unfit).toEqual([]);
    expect((doc.paths['/api/v1/users'].get as { summary?: string }).summary).toBe('List users');
  });

  it('declares a known security requirement on every /api/v1 operation', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    const missing: string[] = [];
    for (const [route, op] of documentedRoutes(doc)) {
      if (!route.split(' ')[1].startsWith('/api/v1/')) continue;
      const names = (op.security ?? []).flatMap((req) => Object.keys(req));
      if (!names.length || names.some((n) => !schemes.includes(n))) missing.push(`${route}: ${JSON.stringify(op.security)}`);
    }
    expect(missing).toEqual([]);
  });

  it('declares the security the routes really enforce', async () => {
    const placeholders: Record<string, string> = {
      id: '00000000-0000-4000-8000-000000000000',
      userId: '00000000-0000-4000-8000-000000000001',
      key: 'no-such-tenant',
      keyId: 'tk_none',
    };
    const mismatches: string[] = [];
    for (const [route, op] of documentedRoutes(doc)) {
      const [method, template] = route.split(' ');
      if (!template.startsWith('/api/v1/')) continue;
      const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) => placeholders[name] ?? 'x');
      const send = (auth?: string) => {
        const req = (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method.toLowerCase()](path);
        if (auth) req.set('Authorization', auth);
        return method === 'GET' || method === 'DELETE' ? req : req.send({});
      };
      const names = (op.security ?? []).flatMap((req) => Object.keys(req));
      const anonymous = await send();
      if (anonymous.status !== 401 || !anonymous.headers['www-authenticate'])
        mismatches.push(`${route} without credentials → ${anonymous.status}`);
      const asTenant = await send(tenant.auth);
      const tenantAllowed = ![401, 403].includes(asTenant.status);
      if (tenantAllowed !== names.includes('tenantApiKey'))
        mismatches.push(`${route} documents ${names.join('+')} but a tenant key gets ${asTenant.status}`);
      const asAdmin = await send(t.admin);
      const adminAllowed = ![401, 403].includes(asAdmin.status);
      if (adminAllowed !== names.includes('platformAdmin'))
        mismatches.push(`${route} documents ${names.join('+')} but the admin token gets ${asAdmin.status}`);
      for (const res of [anonymous, asTenant, asAdmin]) if (res.status >= 500) mismatches.push(`${route} → ${res.status}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('documents every list as the page it answers, with the fields its items really have', async () => {
    const schemas = doc.components.schemas;
    const resolve = (ref: string) => schemas[ref.replace('#/components/schemas/', '')];
    const checked: string[] = [];
    const mismatches: string[] = [];
    for (const [route, op] of documentedRoutes(doc)) {
      const [method, path] = route.split(' ');
      if (method !== 'GET' || !path.startsWith('/api/v1/') || path.includes('{')) continue;
      const live = await t.http.get(path).set('Authorization', t.admin);
      if (live.status !== 200 || !Array.isArray(live.body.items)) continue;
      checked.push(path);
      const schema = (op.responses?.['200'] as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.['application/json']
        ?.schema;
      const ref = schema?.properties?.items?.items?.$ref;
      const item = ref ? resolve(ref) : undefined;
      if (!schema || !item) {
        mismatches.push(`${route}: no page schema`);
        continue;
      }
      expect(schema.required).toEqual(['items', 'total', 'limit', 'offset']);
      for (const row of live.body.items as Record<string, unknown>[])
        for (const field of Object.keys(row))
          if (!item.properties?.[field]) mismatches.push(`${route}: items[].${field} is not documented`);
    }
    expect([...new Set(mismatches)]).toEqual([]);
    expect(checked).toEqual(expect.arrayContaining(['/api/v1/tenants', '/api/v1/users', '/api/v1/organizations', '/api/v1/audit-events']));
    expect(checked.length).toBeGreaterThanOrEqual(12);
    // And one with an id in its path, against a tenant with keys.
    const keys = doc.paths['/api/v1/tenants/{key}/api-keys'].get.responses?.['200'] as { content: Record<string, { schema: Schema }> };
    expect(keys.content['application/json'].schema.properties?.items?.items?.$ref).toBe('#/components/schemas/ApiKeyView');
  });

  it('documents the one error body on every /api/v1 error answer, and 400/415 where input is read', () => {
    expect(doc.components.schemas.ErrorBody).toMatchObject({ required: ['statusCode', 'error', 'message'] });
    const missing: string[] = [];
    for (const [route, op] of documentedRoutes(doc)) {
      if (!route.split(' ')[1].startsWith('/api/v1/')) continue;
      for (const [code, response] of Object.entries(op.responses ?? {})) {
        const ref = (response as { content?: Record<string, { schema?: Schema }> }).content?.['application/json']?.schema?.$ref;
        if (Number(code) >= 400 && ref !== '#/components/schemas/ErrorBody') missing.push(`${route} ${code}`);
      }
      if (op.requestBody && !(op.responses?.['400'] && op.responses?.['415'])) missing.push(`${route}: reads a body, no 400/415`);
    }
    expect(missing).toEqual([]);
    expect(doc.paths['/api/v1/users/{id}'].get.responses).toHaveProperty('400');
    expect(doc.paths['/api/v1/users/{id}'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', schema: expect.objectContaining({ format: 'uuid' }) })]),
    );
  });

  it('serves the Swagger UI at /api/docs, with its assets', async () => {
    const page = await t.http.get('/api/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<title>Portico API</title>');
    expect(page.text).toMatch(/swagger-ui/);
    const assets = [...page.text.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !/^(https?:|data:)/.test(u));
    expect(assets.some((a) => a.endsWith('swagger-ui-init.js'))).toBe(true);
    for (const asset of assets) {
      const url = new URL(asset, `${t.baseUrl}/api/docs`).pathname;
      const res = await t.http.get(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
  });
});
