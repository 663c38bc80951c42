import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { IsOptionalNonNull, Trim } from '@portico/core';
import type { CircuitView } from '../providers/circuit-breaker';
import { IsHeaderName } from './header-name';

export const TIMEOUT_MIN_MS = 100;
export const TIMEOUT_MAX_MS = 30_000;
const nullableString = () => ValidateIf((_o, v) => v !== null && v !== undefined);

export class CreateExternalLoginProviderDto {
  @ApiProperty({ example: 'Partner directory' })
  @Trim()
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: 'https://login.partner.example/external-login', description: 'https:// only, unless allowPrivateNetwork is set' })
  @Trim()
  @IsString()
  @Length(1, 2048)
  url: string;

  @ApiPropertyOptional({ default: 'x-access-token' })
  @IsOptional()
  @IsHeaderName()
  accessTokenHeader?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    nullable: true,
    type: String,
    description: 'Sent in accessTokenHeader on every call; write-only',
  })
  @nullableString()
  @IsString()
  @Length(1, 1000)
  accessToken?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'PEM client certificate for mutual TLS (with clientKey)' })
  @nullableString()
  @IsString()
  @MaxLength(20_000)
  clientCertificate?: string | null;

  @ApiPropertyOptional({
    writeOnly: true,
    nullable: true,
    type: String,
    description: 'PEM private key of the client certificate; write-only',
  })
  @nullableString()
  @IsString()
  @MaxLength(20_000)
  clientKey?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'PEM CA certificate(s) the provider’s certificate must chain to, instead of the public ones',
  })
  @nullableString()
  @IsString()
  @MaxLength(100_000)
  caCertificate?: string | null;

  @ApiPropertyOptional({ default: 5000, minimum: TIMEOUT_MIN_MS, maximum: TIMEOUT_MAX_MS })
  @IsOptional()
  @IsInt()
  @Min(TIMEOUT_MIN_MS)
  @Max(TIMEOUT_MAX_MS)
  timeoutMs?: number;

  @ApiPropertyOptional({
    default: false,
    description: 'Create users the provider accepts but Portico does not know, in the site they signed in to',
  })
  @IsOptional()
  @IsBoolean()
  allowUserCreation?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Allow a loopback or private destination (and plain http://), on purpose' })
  @IsOptional()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

/** Fields left out keep their value; secrets and certificates are removed with null. */
export class UpdateExternalLoginProviderDto {
  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 2048)
  url?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsHeaderName()
  accessTokenHeader?: string;

  @ApiPropertyOptional({ writeOnly: true, nullable: true, type: String, description: 'null removes it' })
  @nullableString()
  @IsString()
  @Length(1, 1000)
  accessToken?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'null removes it (and the key)' })
  @nullableString()
  @IsString()
  @MaxLength(20_000)
  clientCertificate?: string | null;

  @ApiPropertyOptional({ writeOnly: true, nullable: true, type: String })
  @nullableString()
  @IsString()
  @MaxLength(20_000)
  clientKey?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  @nullableString()
  @IsString()
  @MaxLength(100_000)
  caCertificate?: string | null;

  @ApiPropertyOptional({ minimum: TIMEOUT_MIN_MS, maximum: TIMEOUT_MAX_MS })
  @IsOptionalNonNull()
  @IsInt()
  @Min(TIMEOUT_MIN_MS)
  @Max(TIMEOUT_MAX_MS)
  timeoutMs?: number;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  allowUserCreation?: boolean;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class CircuitStateView implements CircuitView {
  @ApiProperty({ enum: ['closed', 'open', 'half-open'], description: 'open: calls are not sent until openUntil (this server instance)' })
  state: CircuitView['state'];
  @ApiProperty() consecutiveFailures: number;
  @ApiProperty({ nullable: true, type: Date }) openUntil: Date | null;
  @ApiProperty({ nullable: true, type: String }) lastFailure: string | null;
  @ApiProperty({ nullable: true, type: Date }) lastFailureAt: Date | null;
}

export class ExternalLoginProviderView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() url: string;
  @ApiProperty() accessTokenHeader: string;
  @ApiProperty({ description: 'An access token is stored (it is never returned)' }) accessTokenSet: boolean;
  @ApiProperty({ nullable: true, type: String }) clientCertificate: string | null;
  @ApiProperty({ description: 'A client key is stored (it is never returned)' }) clientKeySet: boolean;
  @ApiProperty({ nullable: true, type: String }) caCertificate: string | null;
  @ApiProperty() timeoutMs: number;
  @ApiProperty() allowUserCreation: boolean;
  @ApiProperty() allowPrivateNetwork: boolean;
  @ApiProperty({ type: CircuitStateView }) circuit: CircuitStateView;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class TestExternalLoginProviderDto {
  @ApiProperty({ example: 1001, description: 'site_id sent to the provider' })
  @IsInt()
  @Min(0)
  siteId: number;

  @ApiProperty({ example: 'bjones' })
  @Trim()
  @IsString()
  @Length(1, 320)
  username: string;

  @ApiProperty({ writeOnly: true, description: 'Sent as typed; never stored or logged' })
  @IsString()
  @Length(1, 1024)
  password: string;
}

export class ExternalLoginTestResultView {
  @ApiProperty({ enum: ['accepted', 'refused', 'failed'], description: 'accepted/refused: a contract answer; failed: no usable answer' })
  outcome: 'accepted' | 'refused' | 'failed';
  @ApiProperty({ nullable: true, type: String, description: 'The provider’s reason (refused) or what went wrong (failed)' })
  reason: string | null;
  @ApiProperty({ nullable: true, type: String }) username: string | null;
  @ApiProperty({ nullable: true, type: String }) emailAddress: string | null;
  @ApiProperty({ nullable: true, type: Boolean }) isSiteAdministrator: boolean | null;
  @ApiProperty({ nullable: true, type: String, description: 'failed: refused, timeout, network, tooLarge, status, malformed' })
  failure: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status the provider answered, when it answered' })
  status: number | null;
  @ApiProperty() durationMs: number;
}
