import { Transform } from 'class-transformer';
import { Matches, ValidateIf } from 'class-validator';

/**
 * For fields that may be left out but never set to null: an absent field skips validation, an
 * explicit null is validated like any other value and refused (class-validator's IsOptional lets
 * null through, and a PATCH would then write it into a NOT NULL column).
 */
export const IsOptionalNonNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** Trims a string field before validation; other types pass through to be refused by their validator. */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** Names and labels are one line: tabs and line breaks are refused (other control characters never reach a validator). */
export const SingleLine = (): PropertyDecorator =>
  Matches(/^[^\t\n\v\f\r\u0085\u2028\u2029]*$/, { message: '$property must be a single line of text (no tabs or line breaks)' });
