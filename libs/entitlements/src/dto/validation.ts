import { Transform } from 'class-transformer';

/** A repository host name, optionally with a port; stored and compared in lower case. */
export const SERVER_PATTERN = /^[a-z0-9](?:[a-z0-9.-]{0,252}[a-z0-9])?(?::\d{1,5})?$/;
export const SERVER_MESSAGE = 'server must be a host name such as repo.example.com (letters, digits, dots and dashes, optionally :port)';

/** Text that can go into an XML document and a log line: no control characters, no lone surrogates. */
export const PRINTABLE = /^[^\p{Cc}\p{Cs}\uFFFE\uFFFF]+$/u;
export const printableMessage = (field: string) => `${field} must not contain control characters`;

export const LowerTrim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));
