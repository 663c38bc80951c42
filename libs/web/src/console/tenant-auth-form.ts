import type { AuthSettingsView, EmailVerificationMode, MethodsDto, TenantSettingsView } from '@portico/auth';
import { checkbox, FormBody, problem, text } from './forms';

type Method = keyof MethodsDto;
// `label` names the checkbox, `inText` the method within a sentence ("sign-in with password, SAML").
const METHODS: { name: Method; label: string; inText: string }[] = [
  { name: 'password', label: 'Password', inText: 'password' },
  { name: 'saml', label: 'SAML', inText: 'SAML' },
  { name: 'ldap', label: 'LDAP', inText: 'LDAP' },
  { name: 'external', label: 'External login', inText: 'external login' },
  { name: 'oidc', label: 'OpenID Connect', inText: 'OpenID Connect' },
];

/** What the tenant page's Authentication form sends, as the settings API takes it (null: inherit). */
export interface TenantAuthInput {
  signupEnabled: boolean | null;
  methods: MethodsDto | null;
  /** Left out by a form from before it existed: unchanged. */
  emailVerification?: EmailVerificationMode | null;
}

export function parseTenantAuthForm(form: FormBody): { ok: true; value: TenantAuthInput } | ReturnType<typeof problem> {
  const signup = text(form, 'signup');
  const mode = text(form, 'methods');
  const errors: string[] = [];
  if (!['inherit', 'on', 'off'].includes(signup)) errors.push('Sign-up page: choose Inherit global, On or Off.');
  if (!['inherit', 'custom'].includes(mode)) errors.push('Sign-in methods: choose Inherit global or Custom.');
  const verification = form.emailVerification === undefined ? undefined : text(form, 'emailVerification');
  if (verification !== undefined && !['inherit', 'off', 'required'].includes(verification))
    errors.push('Email verification: choose Inherit global, Off or Required.');
  if (errors.length) return problem(400, ...errors);
  return {
    ok: true,
    value: {
      signupEnabled: signup === 'inherit' ? null : signup === 'on',
      methods: mode === 'inherit' ? null : methodsFrom(form),
      ...(verification === undefined
        ? {}
        : { emailVerification: verification === 'inherit' ? null : (verification as EmailVerificationMode) }),
    },
  };
}

/** The method checkboxes (named password, saml, ldap, external, oidc), on the global and the tenant form. */
export function methodsFrom(form: FormBody): MethodsDto {
  return {
    password: checkbox(form, 'password'),
    saml: checkbox(form, 'saml'),
    ldap: checkbox(form, 'ldap'),
    external: checkbox(form, 'external'),
    oidc: checkbox(form, 'oidc'),
  };
}

/** "password, SAML", or null when no method is on. */
export function methodList(methods: MethodsDto): string | null {
  const on = METHODS.filter((m) => methods[m.name]).map((m) => m.inText);
  return on.length ? on.join(', ') : null;
}

/**
 * The locals of the tenant page's Authentication section: the saved overrides (or, after a
 * refused post, what was sent), the global values they inherit and the effective result.
 */
export function tenantAuthView(own: TenantSettingsView, global: AuthSettingsView, sent?: FormBody): Record<string, unknown> {
  const signup = sent ? text(sent, 'signup') : own.signupEnabled === null ? 'inherit' : own.signupEnabled ? 'on' : 'off';
  const mode = sent ? text(sent, 'methods') : own.methods ? 'custom' : 'inherit';
  // Unticked boxes start from the global choice, so switching to Custom begins from what applies now.
  const boxes = sent ? methodsFrom(sent) : (own.methods ?? global.methods);
  return {
    signup,
    methodsMode: mode,
    globalSignup: global.signupEnabled,
    globalMethods: methodList(global.methods),
    methods: METHODS.map((m) => ({ ...m, checked: boxes[m.name] })),
    emailVerification: sent ? text(sent, 'emailVerification') : (own.emailVerification ?? 'inherit'),
    globalEmailVerification: global.emailVerification,
    effective: {
      signupEnabled: own.effective.signupEnabled,
      signupInherited: own.signupEnabled === null,
      methods: methodList(own.effective.methods),
      methodsInherited: own.methods === null,
    },
  };
}

/** The flash after saving: what now applies to the tenant's users. */
export function tenantAuthSummary(saved: TenantSettingsView): string {
  const signup = `Sign-up is ${saved.effective.signupEnabled ? 'on' : 'off'}${saved.signupEnabled === null ? ' (as set globally)' : ''}`;
  const list = methodList(saved.effective.methods);
  const methods = list
    ? `sign-in with ${list}${saved.methods === null ? ' (as set globally)' : ''}`
    : 'no sign-in method is on: its users cannot sign in';
  return `${signup}; ${methods}. This applies from the next request on.`;
}
