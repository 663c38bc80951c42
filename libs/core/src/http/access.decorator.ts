import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

/**
 * Who may call a route. The global access guard refuses any route that declares none, so a
 * forgotten decorator fails closed.
 * - admin: a platform admin (Bearer API token, or a console session for console pages)
 * - tenant: a platform admin, or a tenant API key (HTTP Basic keyId:secret) for its own data
 * - console: a signed-in platform admin in the console (session cookie)
 * - user: any signed-in, active user (session cookie): the account pages
 * - optional-tenant: anyone; a tenant API key, when sent, must be valid and scopes the call
 * - tenant-keyed: the routes under /t/{tenantKey}/: only an API key of the tenant named in the path
 *   (HTTP Basic); anything else is 401 {"error": "Invalid credentials"}
 * - public: anyone
 */
export type Access = 'admin' | 'tenant' | 'optional-tenant' | 'tenant-keyed' | 'console' | 'user' | 'public';
export const ACCESS_KEY = 'portico:access';

export const BEARER_SCHEME = 'platformAdmin';
export const BASIC_SCHEME = 'tenantApiKey';

export function AdminOnly(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_KEY, 'admin'),
    ApiBearerAuth(BEARER_SCHEME),
    ApiUnauthorizedResponse({ description: 'Missing or invalid credentials' }),
    ApiForbiddenResponse({ description: 'Only platform administrators may call this route' }),
  );
}

export function TenantOrAdmin(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_KEY, 'tenant'),
    ApiBearerAuth(BEARER_SCHEME),
    ApiBasicAuth(BASIC_SCHEME),
    ApiUnauthorizedResponse({ description: 'Missing or invalid credentials' }),
    ApiForbiddenResponse({ description: 'The tenant is suspended, or a tenant API key named another tenant' }),
  );
}

export const ConsoleOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, 'console');
export const SignedIn = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, 'user');
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, 'public');

export function TenantOptional(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_KEY, 'optional-tenant'),
    ApiBasicAuth(BASIC_SCHEME),
    ApiUnauthorizedResponse({ description: 'A tenant API key was sent but is not valid' }),
  );
}

/** A route under `/t/:tenantKey/…` that only that tenant's API key may call (product.md §5). */
export function TenantKeyed(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_KEY, 'tenant-keyed'),
    ApiBasicAuth(BASIC_SCHEME),
    ApiUnauthorizedResponse({ description: 'Missing credentials, or not an API key of this tenant: {"error": "Invalid credentials"}' }),
  );
}
