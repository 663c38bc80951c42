// Lives in core so every module that redirects after a sign-in (SAML's RelayState too) uses the same check.
export { safeNext } from '@portico/core';
