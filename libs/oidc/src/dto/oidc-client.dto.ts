import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNonNull, Trim } from '@portico/core';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { CLIENT_AUTH_METHODS, CLIENT_GRANT_TYPES, CLIENT_SCOPES } from '../entities/oidc-client.entity';

export class UpdateOidcClientDto {
  @ApiProperty({ example: 'Acme Analytics' })
  @Trim()
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['https://app.example.com/callback'],
    description: 'Matched exactly; https, or http on localhost/127.0.0.1/[::1]; no fragment, wildcard or user info',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  redirectUris?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Where RP-initiated logout may return; same rules as redirectUris' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  postLogoutRedirectUris?: string[];

  @ApiPropertyOptional({ enum: CLIENT_GRANT_TYPES, isArray: true, default: ['authorization_code', 'refresh_token'] })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(CLIENT_GRANT_TYPES, { each: true, message: `grantTypes must list among: ${CLIENT_GRANT_TYPES.join(', ')}` })
  grantTypes?: string[];

  @ApiPropertyOptional({
    enum: CLIENT_AUTH_METHODS,
    default: 'client_secret_basic',
    description: '`none` makes a public client (no secret; PKCE required)',
  })
  @IsOptional()
  @IsIn(CLIENT_AUTH_METHODS)
  tokenEndpointAuthMethod?: string;

  @ApiPropertyOptional({ default: false, description: 'Platform admins only: skip the consent page' })
  @IsOptionalNonNull()
  @IsBoolean()
  firstParty?: boolean;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Back-Channel Logout receiver (https)' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  backchannelLogoutUri?: string | null;

  @ApiPropertyOptional({ enum: CLIENT_SCOPES, isArray: true, default: ['openid', 'profile', 'email', 'organizations', 'offline_access'] })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(CLIENT_SCOPES, { each: true, message: `scopes must list among: ${CLIENT_SCOPES.join(', ')}` })
  scopes?: string[];

  @ApiPropertyOptional({ default: 3600, minimum: 60, maximum: 86400 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(86400)
  accessTokenTtlSeconds?: number;

  @ApiPropertyOptional({ default: 1209600, minimum: 300, maximum: 31536000 })
  @IsOptional()
  @IsInt()
  @Min(300)
  @Max(31_536_000)
  refreshTokenTtlSeconds?: number;

  @ApiPropertyOptional({ default: false, description: 'Platform admins only: allow a loopback/private back-channel logout URI' })
  @IsOptionalNonNull()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class CreateOidcClientDto extends UpdateOidcClientDto {
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Platform admins only: the owning tenant (omit for a vendor-wide client)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string | null;
}

export class OidcClientView {
  @ApiProperty({ example: 'pc_3f9a6c1d2e8b4f70a1c2' }) clientId: string;
  @ApiProperty({ nullable: true, type: String }) tenantKey: string | null;
  @ApiProperty() name: string;
  @ApiProperty({ type: [String] }) redirectUris: string[];
  @ApiProperty({ type: [String] }) postLogoutRedirectUris: string[];
  @ApiProperty({ enum: CLIENT_GRANT_TYPES, isArray: true }) grantTypes: string[];
  @ApiProperty({ enum: CLIENT_AUTH_METHODS }) tokenEndpointAuthMethod: string;
  @ApiProperty() firstParty: boolean;
  @ApiProperty({ nullable: true, type: String }) backchannelLogoutUri: string | null;
  @ApiProperty({ enum: CLIENT_SCOPES, isArray: true }) scopes: string[];
  @ApiProperty() accessTokenTtlSeconds: number;
  @ApiProperty() refreshTokenTtlSeconds: number;
  @ApiProperty() allowPrivateNetwork: boolean;
  @ApiProperty({ description: 'A secret is stored (write-only; confidential clients)' }) clientSecretSet: boolean;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class CreatedOidcClientView extends OidcClientView {
  @ApiPropertyOptional({ description: 'Shown once, for confidential clients only' }) clientSecret?: string;
}

export class RotatedClientSecretView {
  @ApiProperty() clientId: string;
  @ApiProperty({ description: 'The new secret, shown once; the previous one stops working at once' }) clientSecret: string;
}
