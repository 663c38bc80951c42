import { registerDecorator, ValidationOptions } from 'class-validator';
import { check as isCommonPassword } from 'dumb-passwords';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** What is wrong with a password, in words for the person choosing it; null when it is acceptable. */
export function passwordProblem(password: unknown): string | null {
  if (typeof password !== 'string') return 'password must be a string';
  if (password.length < PASSWORD_MIN) return `password must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters`;
  if (isCommonPassword(password)) return 'password is one of the most common passwords; choose one that is harder to guess';
  return null;
}

/** class-validator decorator for the password policy: length 8–256 and not a common password. */
export function IsAcceptablePassword(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => passwordProblem(value) === null,
        defaultMessage: (args) => passwordProblem(args?.value) ?? 'password is not acceptable',
      },
    });
}
