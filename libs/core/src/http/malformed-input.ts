import { BadRequestException } from '@nestjs/common';
import type { Request, RequestHandler } from 'express';

/** How deep a JSON body may nest: far beyond any real payload, far below what a validator's recursion survives. */
export const MAX_BODY_DEPTH = 32;

// Tab, line feed and carriage return are text (a PEM certificate, a textarea); every other C0
// control, DEL and the C1 controls are not, and PostgreSQL refuses NUL in text outright.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// With the u flag a surrogate pair is one character; only a lone surrogate is of category Cs.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a string cannot be accepted as text, or null when it can. */
export function textProblem(value: string): 'control' | 'surrogate' | null {
  if (CONTROL.test(value)) return 'control';
  // A lone UTF-16 surrogate is no character: validators that encode it throw, databases mangle it.
  if (LONE_SURROGATE.test(value)) return 'surrogate';
  return null;
}

/** The 400 message for a field whose text has that problem. */
export function textProblemMessage(field: string, problem: 'control' | 'surrogate'): string {
  return problem === 'control'
    ? `${field} must not contain NUL or other control characters`
    : `${field} must be well-formed text (it contains a lone UTF-16 surrogate)`;
}

interface Pending {
  value: unknown;
  depth: number;
  parent: Pending | null;
  key: string;
}

function fieldName(at: Pending): string {
  const names: string[] = [];
  for (let p: Pending | null = at; p?.parent; p = p.parent) names.push(p.key);
  return names.reverse().join('.');
}

/**
 * The first reason parsed input cannot be accepted: nesting deeper than `maxDepth`, or text (a value
 * or a field name) with control characters or lone surrogates. Walks with its own stack, so no
 * nesting can overflow it; `where` names the input in messages ("the request body").
 */
export function malformedInput(input: unknown, where: string, maxDepth = MAX_BODY_DEPTH): string | null {
  const stack: Pending[] = [{ value: input, depth: 0, parent: null, key: '' }];
  while (stack.length) {
    const at = stack.pop()!;
    const { value } = at;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return textProblemMessage(fieldName(at) || where, problem);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    const depth = at.depth + 1;
    if (depth > maxDepth) return `${capitalized(where)} is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth, parent: at, key: String(i) });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (textProblem(key)) return `A field name in ${where} contains control characters or a lone surrogate`;
      stack.push({ value: (value as Record<string, unknown>)[key], depth, parent: at, key });
    }
  }
  return null;
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Refuses, before any route or validator sees them, a parsed body or a query string that no route
 * can take as text: a 400 naming the field. Every route gets it, whatever it validates itself.
 */
export function refuseMalformedInput(): RequestHandler {
  return (req: Request, _res, next) => {
    let problem: string | null = null;
    if (req.body !== undefined) problem = malformedInput(req.body, 'the request body');
    // Express parses the query on each read of req.query: only when there is one.
    if (!problem && req.url.includes('?')) problem = malformedInput(req.query, 'the query string');
    next(problem ? new BadRequestException(problem) : undefined);
  };
}
