import { DOMParser, type Document } from '@xmldom/xmldom';
import { SaxesParser } from 'saxes';
import { request as httpRequest } from 'node:http';
import type { TestApp } from './test-app';

let counter = 0;
export const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export interface ClassFixture {
  id: string;
  name: string;
  server: string;
  realKey: string;
}

export async function makeClass(t: TestApp, body: Partial<Omit<ClassFixture, 'id'>> = {}): Promise<ClassFixture> {
  const res = await t.http
    .post('/api/v1/entitlements/classes')
    .set('Authorization', t.admin)
    .send({ name: uniqueName('product'), server: `${uniqueName('repo')}.example.com`, realKey: uniqueName('real-key'), ...body })
    .expect(201);
  return res.body;
}

export async function makeVirtual(
  t: TestApp,
  auth: string,
  body: Record<string, unknown>,
): Promise<{ id: string; key: string; status: string }> {
  const res = await t.http.post('/api/v1/entitlements/virtual').set('Authorization', auth).send(body).expect(201);
  return res.body;
}

/**
 * A strict reading of an XML document: every well-formedness error of a conformant SAX parser
 * (saxes) fails, then @xmldom/xmldom builds the DOM with every warning and error thrown.
 */
export function parseStrictXml(text: string): Document {
  const sax = new SaxesParser();
  sax.on('error', (err) => {
    throw err;
  });
  sax.write(text).close();
  return new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(text, 'application/xml');
}

export interface EntitlementAnswer {
  server: string;
  class: string;
  key: string;
  doctype: string;
}

/** The answer of a granted check, read as a repository would, with every contract detail checked. */
export function readEntitlement(res: RawResponse): EntitlementAnswer {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/xml\b/);
  expect(res.text.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>')).toBe(true);
  const doc = parseStrictXml(res.text);
  const root = doc.documentElement!;
  expect(root.nodeName).toBe('entitlement');
  const children = Array.from(root.childNodes).filter((n) => n.nodeType === 1);
  expect(children.map((n) => n.nodeName)).toEqual(['server', 'class', 'key']);
  const text = (name: string) => children.find((n) => n.nodeName === name)!.textContent ?? '';
  return { server: text('server'), class: text('class'), key: text('key'), doctype: /<!DOCTYPE[^\]]*\]>/.exec(res.text)?.[0] ?? '' };
}

/** A refused check: 404 and not a byte of body. */
export function expectRefused(res: RawResponse): void {
  expect({ status: res.status, body: res.text, length: res.headers['content-length'] }).toEqual({ status: 404, body: '', length: '0' });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * GET exactly these bytes of path and query, as a repository sends them (an HTTP client library
 * could re-encode `;` or `%`), from the loopback address.
 */
export function rawGet(t: TestApp, pathAndQuery: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { port } = new URL(t.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: pathAndQuery, method: 'GET', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The check endpoint with a raw query string. */
export const check = (t: TestApp, query: string, headers: Record<string, string> = {}) =>
  rawGet(t, `/entitlements/check?${query}`, headers);

export interface DecisionBody {
  code: string;
  count: number;
  channel: string;
  via: string;
  server: string | null;
  class: string | null;
  key: string | null;
  remoteIp: string | null;
  callerIp: string | null;
  detail: string | null;
}

export async function decisions(t: TestApp, filter: Record<string, string>): Promise<DecisionBody[]> {
  const res = await t.http
    .get('/api/v1/entitlements/decisions')
    .query({ limit: '500', ...filter })
    .set('Authorization', t.admin)
    .expect(200);
  return res.body.items;
}
