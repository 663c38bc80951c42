import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';

/**
 * For fields that may be left out but never set to null: an absent field skips validation, an
 * explicit null is validated like any other value and refused (class-validator's IsOptional lets
 * null through, and a PATCH would then write it into a NOT NULL column).
 */
export const IsOptionalNonNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** Trims a string field before validation; other types pass through to be refused by their validator. */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
