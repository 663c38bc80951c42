import { registerDecorator, ValidationOptions } from 'class-validator';

// RFC 9110 token characters.
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
// Headers that frame or route the request: carrying a token in one of them would break the call.
const RESERVED = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'expect',
  'proxy-connection',
]);

export function headerNameProblem(value: unknown, field: string): string | null {
  if (typeof value !== 'string' || !TOKEN.test(value))
    return `${field} must be an HTTP header name (letters, digits and - _ . only, at most 100)`;
  if (RESERVED.has(value.toLowerCase())) return `${field} must not be ${value.toLowerCase()}: that header carries the request itself`;
  return null;
}

/** An HTTP header name that can carry an access token. */
export function IsHeaderName(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isHeaderName',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => headerNameProblem(value, String(propertyName)) === null,
        defaultMessage: (args) => headerNameProblem(args?.value, String(propertyName)) ?? `${String(propertyName)} is not a header name`,
      },
    });
}
