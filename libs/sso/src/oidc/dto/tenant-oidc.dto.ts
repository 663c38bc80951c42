import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsString, IsUUID, Length, Matches, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { IsOptionalNonNull, SingleLine, Trim } from '@portico/core';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** An absolute http(s) URL without credentials, query or fragment (an issuer identifier, RFC 8414). */
function IsIssuer(): PropertyDecorator {
  return ValidateBy({
    name: 'isIssuer',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || value.length > 2048) return false;
        try {
          const url = new URL(value);
          return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.search && !url.hash;
        } catch {
          return false;
        }
      },
      defaultMessage: () => 'issuer must be the provider’s https:// issuer URL (no query, fragment or credentials)',
    },
  });
}

const mappingField = (example: string, description?: string) =>
  ApiPropertyOptional({ default: example, ...(description ? { description } : {}) });

export class OidcClaimMappingDto {
  @mappingField('email', 'Claim with the email; an existing account is linked only when email_verified is true')
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  email?: string;

  @mappingField('given_name')
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  firstName?: string;

  @mappingField('family_name')
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  lastName?: string;

  @mappingField('group_uid', "The group's uid: the organization's externalUid (a list claim: its first entry)")
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  groupUid?: string;

  @mappingField('group_name', 'Name for an organization created just in time')
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  groupName?: string;

  @mappingField('group_role', 'Role in the group: owner / super admin → owner; admin / administrator / power user → admin; else member')
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  groupRole?: string;
}

/** PUT /api/v1/tenants/{key}/oidc: fields left out keep their value. */
export class PutTenantOidcDto {
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'Acme Okta',
    description: 'On the sign-in button, "Sign in with …" (default: the issuer’s host)',
  })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Trim()
  @IsString()
  @SingleLine()
  @Length(1, 100)
  displayName?: string | null;

  @ApiPropertyOptional({
    example: 'https://idp.example.com',
    description: 'Discovery is read from {issuer}/.well-known/openid-configuration',
  })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Trim()
  @IsIssuer()
  issuer?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'The client id the provider gave Portico' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Trim()
  @IsString()
  @SingleLine()
  @Length(1, 512)
  clientId?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, writeOnly: true, description: 'Write-only; stored encrypted; null removes it' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsString()
  @SingleLine()
  @Length(1, 1024)
  clientSecret?: string | null;

  @ApiPropertyOptional({
    enum: CLIENT_AUTH_METHODS,
    default: 'client_secret_basic',
    description: 'private_key_jwt: Portico signs with its own key for this tenant, published at clientJwksUri (no client secret needed)',
  })
  @IsOptionalNonNull()
  @IsIn(CLIENT_AUTH_METHODS)
  tokenEndpointAuthMethod?: (typeof CLIENT_AUTH_METHODS)[number];

  @ApiPropertyOptional({ default: 'openid email profile', description: 'Space-separated; must include openid' })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(6, 1024)
  @Matches(/^([\x21\x23-\x5b\x5d-\x7e]+ )*[\x21\x23-\x5b\x5d-\x7e]+$/, { message: 'scopes must be scope names separated by single spaces' })
  @Matches(/(^| )openid( |$)/, { message: 'scopes must include openid' })
  scopes?: string;

  @ApiPropertyOptional({ type: OidcClaimMappingDto })
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => OidcClaimMappingDto)
  claimMapping?: OidcClaimMappingDto;

  @ApiPropertyOptional({ default: true, description: 'Create users, organizations and memberships at sign-in' })
  @IsOptionalNonNull()
  @IsBoolean()
  jitProvisioning?: boolean;

  @ApiPropertyOptional({ nullable: true, type: String, format: 'uuid', description: 'Joined when the provider sends no group' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsUUID(undefined, { message: 'defaultOrganizationId must be a UUID' })
  defaultOrganizationId?: string | null;

  @ApiPropertyOptional({
    default: false,
    description: 'Needs issuer, clientId and clientSecret (not for private_key_jwt), and a discovery that succeeds',
  })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'Platform administrators only: the provider is on loopback or a private network (plain http allowed)',
  })
  @IsOptionalNonNull()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class OidcClaimMappingView {
  @ApiProperty() email: string;
  @ApiProperty() firstName: string;
  @ApiProperty() lastName: string;
  @ApiProperty() groupUid: string;
  @ApiProperty() groupName: string;
  @ApiProperty() groupRole: string;
}

export class OidcDiscoveredView {
  @ApiProperty() issuer: string;
  @ApiProperty() authorizationEndpoint: string;
  @ApiProperty() tokenEndpoint: string;
  @ApiProperty({ nullable: true, type: String }) userinfoEndpoint: string | null;
  @ApiProperty() jwksUri: string;
  @ApiProperty({ type: [String] }) idTokenSigningAlgValuesSupported: string[];
  @ApiProperty({ description: 'The provider names itself in the authorization response (RFC 9207)' })
  authorizationResponseIssParameterSupported: boolean;
  @ApiProperty() discoveredAt: Date;
}

export class TenantOidcView {
  @ApiProperty() tenantKey: string;
  @ApiProperty({ nullable: true, type: String }) displayName: string | null;
  @ApiProperty({ description: 'What the sign-in button says after "Sign in with"' }) buttonName: string;
  @ApiProperty({ nullable: true, type: String }) issuer: string | null;
  @ApiProperty({ nullable: true, type: String }) clientId: string | null;
  @ApiProperty({ description: 'A client secret is stored (it is never returned)' }) clientSecretSet: boolean;
  @ApiProperty({ enum: CLIENT_AUTH_METHODS }) tokenEndpointAuthMethod: string;
  @ApiProperty() scopes: string;
  @ApiProperty({ type: OidcClaimMappingView }) claimMapping: OidcClaimMappingView;
  @ApiProperty() jitProvisioning: boolean;
  @ApiProperty({ nullable: true, type: String }) defaultOrganizationId: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty() allowPrivateNetwork: boolean;
  @ApiProperty({ description: 'Register this at the provider: {PUBLIC_URL}/t/{key}/oidc/callback' }) redirectUri: string;
  @ApiProperty({ description: "Portico's public key for private_key_jwt, as the provider reads it: {PUBLIC_URL}/t/{key}/oidc/jwks" })
  clientJwksUri: string;
  @ApiProperty({ nullable: true, type: Object, description: 'That public key (a JWK), once private_key_jwt has been chosen' })
  clientPublicJwk: Record<string, unknown> | null;
  @ApiProperty({ description: 'Where a sign-in starts: GET, optional ?next=/path' }) initUrl: string;
  @ApiProperty({ nullable: true, type: OidcDiscoveredView, description: 'The endpoints discovery found (null before it ran)' })
  discovered: OidcDiscoveredView | null;
  @ApiProperty({ description: 'issuer, clientId and clientSecret (or, for private_key_jwt, Portico’s key) are set' }) configured: boolean;
  @ApiProperty({ nullable: true, type: Date }) updatedAt: Date | null;
}
