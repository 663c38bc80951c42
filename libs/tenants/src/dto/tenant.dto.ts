import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNonNull, Trim, SingleLine } from '@portico/core';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { TenantStatus } from '../entities/tenant.entity';

export const TENANT_KEY_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
const TENANT_KEY_MESSAGE = 'key must be 2-63 characters of lowercase letters, digits and dashes, starting with a letter or digit';

export class CreateTenantDto {
  @ApiProperty({ example: 'acme-portal', pattern: TENANT_KEY_PATTERN.source })
  @IsString()
  @Matches(TENANT_KEY_PATTERN, { message: TENANT_KEY_MESSAGE })
  key: string;

  @ApiProperty({ example: 'Acme Portal' })
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ enum: ['active', 'suspended'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'suspended'])
  status?: TenantStatus;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ example: 'Acme Portal' })
  @Trim()
  @IsOptionalNonNull()
  @SingleLine()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @IsOptionalNonNull()
  @IsIn(['active', 'suspended'])
  status?: TenantStatus;
}

export class CreateApiKeyDto {
  @ApiPropertyOptional({ example: 'production portal', description: 'A name to recognise the key by' })
  @Trim()
  @IsOptional()
  @SingleLine()
  @IsString()
  @Length(1, 200)
  label?: string;
}

export class TenantView {
  @ApiProperty() id: string;
  @ApiProperty() key: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status: TenantStatus;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class ApiKeyView {
  @ApiProperty() keyId: string;
  @ApiProperty({ nullable: true, type: String }) label: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'Shown once: store it now. Use it as the HTTP Basic password, with keyId as the user name.' })
  secret: string;
}
