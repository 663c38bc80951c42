import type { OpenAPIObject } from '@nestjs/swagger';
import { reasonPhrase } from '../errors/http-exception.filter';

type Parameter = { in?: string; schema?: { format?: string } };
type Operation = {
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const ERROR_SCHEMA = 'ErrorBody';

/** Query parameters are validated, and so are ids in the path (IdParam); other path segments name things (404). */
const validated = (p: Parameter) => p.in === 'query' || p.schema?.format === 'uuid';

/**
 * Documents the API's errors the way they are answered, once, after Nest has read the routes: every
 * error answer of an /api/v1 operation gets the one error body ({statusCode, error, message});
 * an operation that reads a query, an id or a body also says it answers 400 (the message names the
 * field), and one that reads a body, 413 and 415.
 */
export function documentErrors(document: OpenAPIObject): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.schemas = {
    ...document.components.schemas,
    [ERROR_SCHEMA]: {
      type: 'object',
      required: ['statusCode', 'error', 'message'],
      properties: {
        statusCode: { type: 'integer' },
        error: { type: 'string', description: 'The status code’s reason phrase' },
        message: { type: 'string', description: 'What was wrong; for invalid input, naming the field' },
        details: { type: 'object', additionalProperties: true, description: 'Only where a route documents it' },
      },
    },
  };
  // Each answer shows its own status in the example, not one shared example for all of them.
  const body = (code: string, description = '') => ({
    'application/json': {
      schema: { $ref: `#/components/schemas/${ERROR_SCHEMA}` },
      example: { statusCode: Number(code), error: reasonPhrase(Number(code)), message: description },
    },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      const add = (code: string, description: string) => (op.responses[code] ??= { description });
      if (op.requestBody || op.parameters?.some(validated))
        add('400', 'Invalid input; the message names the field and what is wrong with it');
      if (op.requestBody) {
        add('413', 'The request body is over the size limit');
        add('415', 'The request body is not JSON');
      }
      for (const [code, response] of Object.entries(op.responses)) {
        if (Number(code) >= 400 && !response.content) response.content = body(code, response.description);
      }
    }
  }
  return document;
}
