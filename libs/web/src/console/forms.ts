import { HttpException, Logger } from '@nestjs/common';
import { DomainException, toErrorBody } from '@portico/core';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

/** A urlencoded form or query string as Express parses it: strings, or string arrays for repeated names. */
export type FormBody = Record<string, unknown>;

/** A trimmed text field; '' when missing or not a single string. */
export function text(form: FormBody, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A trimmed text field, or undefined when left empty (so optional DTO fields stay absent). */
export function optionalText(form: FormBody, name: string): string | undefined {
  return text(form, name) || undefined;
}

/** An HTML checkbox: present (any of the values browsers send) means true. */
export function checkbox(form: FormBody, name: string): boolean {
  return ['on', 'true', '1', 'yes'].includes(text(form, name).toLowerCase());
}

export interface FormProblem {
  status: number;
  /** Every message, for the summary above the form. */
  errors: string[];
  /** The same messages by the form field they are about (its top-level name), to show beside it. */
  fields?: Record<string, string[]>;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: FormProblem };

/**
 * Validates a form with the same DTO class the JSON API uses. `labels` names the fields as the
 * form shows them, so "Key is required" reads better than "key must be a string"; `labels['x[]']`
 * names one entry of the list field `x` ("certificate": "The second certificate is …").
 */
export async function parseForm<T extends object>(
  cls: new () => T,
  plain: Record<string, unknown>,
  labels: Record<string, string> = {},
): Promise<Parsed<T>> {
  const defined = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
  const dto = plainToInstance(cls, defined);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true });
  if (!errors.length) return { ok: true, value: dto };
  return {
    ok: false,
    problem: byField(
      400,
      errors.flatMap((e) => describe(e, labels)),
    ),
  };
}

interface FieldMessage {
  /** The field's path in the DTO up to any list index: `url`, `lockout.maxWaitSeconds`, `idpCertificates`. */
  field?: string;
  message: string;
}

function byField(status: number, found: FieldMessage[]): FormProblem {
  const fields: Record<string, string[]> = {};
  for (const { field, message } of found) if (field) (fields[field] ??= []).push(message);
  return { status, errors: found.map((f) => f.message), fields };
}

function describe(error: ValidationError, labels: Record<string, string>, parent = '', field = ''): FieldMessage[] {
  const path = parent ? `${parent}.${error.property}` : error.property;
  // A list entry's messages, however deep, belong to the list's field.
  const own = field && (field !== parent || /^\d+$/.test(error.property)) ? field : path;
  const label = labels[path] ?? labels[error.property];
  if (error.children?.length) return error.children.flatMap((c) => describe(c, labels, path, own));
  if (label && (error.value === undefined || error.value === '')) return [{ field: own, message: `${label} is required.` }];
  return Object.values(error.constraints ?? {}).map((m) => ({
    field: own,
    message: inWords(m, error.property, label, labels[`${path}[]`]),
  }));
}

const ORDINAL = new Intl.PluralRules('en', { type: 'ordinal' });
const SUFFIX: Partial<Record<Intl.LDMLPluralRule, string>> = { one: 'st', two: 'nd', few: 'rd' };
const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

/**
 * A validator's message as a person reads it: `idpCertificates[1] is not a valid X.509
 * certificate` becomes "The second certificate is not a valid X.509 certificate", `key must be …`
 * becomes "Key: must be …".
 */
export function inWords(message: string, property: string, label?: string, entry?: string): string {
  const name = escapeRegExp(property);
  const indexed = new RegExp(`^${name}\\[(\\d+)\\]\\s*`).exec(message);
  if (indexed) {
    const n = Number(indexed[1]);
    const which = ORDINALS[n] ?? `${n + 1}${SUFFIX[ORDINAL.select(n + 1)] ?? 'th'}`;
    const noun = entry ?? (label ? `entry in ${label}` : 'entry');
    return `The ${which} ${noun} ${message.slice(indexed[0].length)}`;
  }
  return label ? `${label}: ${message.replace(new RegExp(`^${name}:? `), '')}` : message;
}

/**
 * A domain's message as a person reads it, beside the field it starts with: `url: Refused to …`
 * becomes "URL: Refused to …", `clientKey does not belong to clientCertificate` becomes "Client key
 * does not belong to the client certificate". Field names the labels do not know stay as they are.
 */
function domainInWords(message: string, labels: Record<string, string>): FieldMessage {
  const names = Object.keys(labels).filter((k) => /^\w+$/.test(k));
  if (!names.length) return { message };
  const field = new RegExp(`^(${names.join('|')})\\b`).exec(message)?.[1];
  const words = message.replace(new RegExp(`\\b(${names.join('|')})\\b`, 'g'), (name, _n, at: number) =>
    at === 0 ? labels[name] : `the ${lowerFirst(labels[name])}`,
  );
  return { field, message: words };
}

// "Client key" reads "client key" mid-sentence; "URL" and "CA certificate" keep their capitals.
function lowerFirst(label: string): string {
  return /^[A-Z][A-Z]/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function problem(status: number, ...errors: string[]): { ok: false; problem: FormProblem } {
  return { ok: false, problem: { status, errors } };
}

/** A problem with one field, shown in the summary and beside that field. */
export function fieldProblem(status: number, field: string, message: string): { ok: false; problem: FormProblem } {
  return { ok: false, problem: byField(status, [{ field, message }]) };
}

/** Another helper's refusal, shown beside `field` as well. */
export function onField(refused: { ok: false; problem: FormProblem }, field: string): { ok: false; problem: FormProblem } {
  return { ok: false, problem: { ...refused.problem, fields: { ...refused.problem.fields, [field]: refused.problem.errors } } };
}

const logger = new Logger('ConsoleForms');

/**
 * Runs a service call from a form. Domain exceptions (and Nest's HTTP exceptions) come back as a
 * problem to show on the page with their status; anything unexpected propagates to the global
 * filter, which logs it and answers 500. With the form's `labels`, a refused input's messages
 * ("url: …; clientKey …") are put in words beside the fields they name.
 */
export async function attempt<T>(run: () => Promise<T>, labels?: Record<string, string>): Promise<Parsed<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    if (err instanceof DomainException || err instanceof HttpException) {
      const body = toErrorBody(err, logger);
      if (!labels || body.statusCode !== 400) return problem(body.statusCode, body.message);
      return {
        ok: false,
        problem: byField(
          400,
          body.message.split('; ').map((m) => domainInWords(m, labels)),
        ),
      };
    }
    throw err;
  }
}

export interface Pager {
  from: number;
  to: number;
  total: number;
  prevHref: string | null;
  nextHref: string | null;
}

export const CONSOLE_PAGE_SIZE = 25;

/** The offset from `?offset=`: a non-negative integer, anything else is the first page. */
export function offsetParam(query: FormBody): number {
  const raw = text(query, 'offset');
  return /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
}

/** A search or filter value from the query string, capped so it always fits the DTO's limits. */
export function filterParam(query: FormBody, name: string, max = 200): string | undefined {
  return text(query, name).slice(0, max) || undefined;
}

/** Previous/next links that keep the current filters. */
export function pager(
  path: string,
  filters: Record<string, string | undefined>,
  page: { total: number; limit: number; offset: number },
): Pager {
  const href = (offset: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
    if (offset > 0) params.set('offset', String(offset));
    const qs = params.toString();
    return qs ? `${path}?${qs}` : path;
  };
  const { total, limit, offset } = page;
  return {
    from: total ? Math.min(offset + 1, total) : 0,
    to: Math.min(offset + limit, total),
    total,
    prevHref: offset > 0 ? href(Math.max(0, offset - limit)) : null,
    nextHref: offset + limit < total ? href(offset + limit) : null,
  };
}

/** Tenant keys to suggest in tenant fields (a datalist: any key can still be typed). */
export async function tenantKeyChoices(tenants: {
  list(q: { limit: number }): Promise<{ items: { key: string; name: string }[] }>;
}): Promise<{ key: string; name: string }[]> {
  return (await tenants.list({ limit: 500 })).items.map((t) => ({ key: t.key, name: t.name }));
}

/** A failed form's locals: the summary list and the messages by field (`{{> field_error field="name"}}`). */
export function formErrors(failure?: FormProblem): { errors?: string[]; fieldErrors: Record<string, string[]> } {
  return { errors: failure?.errors, fieldErrors: failure?.fields ?? {} };
}
