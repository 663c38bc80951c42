import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  Max,
  Min,
  IsString,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { IsOptionalNonNull } from '@portico/core';

/** An origin exactly: scheme, host and optional port; no path, query, fragment or credentials. */
export function isWebOrigin(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 255) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

export function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}

export function IsWebOrigin(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWebOrigin',
      validator: { validate: isWebOrigin, defaultMessage: () => '$property must be origins like https://portal.example.com (no path)' },
    },
    options,
  );
}

export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isHttpUrl', validator: { validate: isHttpUrl, defaultMessage: () => '$property must be an http(s) URL without credentials' } },
    options,
  );
}

export class BillingApiDto {
  @ApiProperty({ example: 'https://portal.example.com/api', description: 'Bills go to POST {url}/account/bills' })
  @IsHttpUrl()
  url: string;

  @ApiProperty({ description: 'HTTP Basic user for the billing API' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  username: string;

  @ApiPropertyOptional({ description: 'Write-only. Left out on an update: the stored password is kept' })
  @IsOptionalNonNull()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ default: false, description: 'Allow a loopback or private address (and plain http) on purpose' })
  @IsOptionalNonNull()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class RateLimitDto {
  @ApiProperty({ example: 100, description: 'Requests per second with this tenant’s API keys (all its keys together)' })
  @Min(1)
  @Max(1_000_000)
  @IsInt()
  perSecond: number;

  @ApiProperty({ example: 1000, description: 'Requests allowed on top of perSecond in any 10 seconds (0: none)' })
  @Min(0)
  @Max(1_000_000)
  @IsInt()
  burst: number;
}

export class UpdateTenantIntegrationDto {
  @ApiPropertyOptional({ type: [String], example: ['https://portal.example.com'], description: 'Origins allowed to frame Portico pages' })
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMaxSize(50)
  @IsWebOrigin({ each: true })
  embedOrigins?: string[];

  @ApiPropertyOptional({ type: BillingApiDto, nullable: true, description: 'null: bill this tenant’s organizations directly' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @ValidateNested()
  @Type(() => BillingApiDto)
  billingApi?: BillingApiDto | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Where the portal receives data-sharing notifications' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsHttpUrl()
  dataSharingUrl?: string | null;

  @ApiPropertyOptional({ type: RateLimitDto, nullable: true, description: 'null: the global default (RATE_LIMIT_API_*)' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @ValidateNested()
  @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto | null;
}

export class BillingApiView {
  @ApiProperty() url: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: 'A password is stored (it is never returned)' }) passwordSet: boolean;
  @ApiProperty() allowPrivateNetwork: boolean;
}

export class TenantIntegrationView {
  @ApiProperty({ type: [String] }) embedOrigins: string[];
  @ApiProperty({ type: BillingApiView, nullable: true }) billingApi: BillingApiView | null;
  @ApiProperty({ type: String, nullable: true }) dataSharingUrl: string | null;
  @ApiProperty({ type: RateLimitDto, nullable: true, description: 'null: the global default' }) rateLimit: RateLimitDto | null;
}

/** What the billing module needs to call a tenant's billing API (password decrypted). */
export interface TenantBillingApi {
  url: string;
  username: string;
  password: string;
  allowPrivateNetwork: boolean;
}
