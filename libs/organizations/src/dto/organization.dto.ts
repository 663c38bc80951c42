import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNonNull, PageQueryDto, Trim, SingleLine } from '@portico/core';
import type { AuthMode } from '../entities/organization.entity';

// An array would pass ValidateNested element by element and be stored as "no plan".
const PLAN_SHAPE = 'plan must be an object {priceCents, currency}, or null';

export class PlanDto {
  @ApiProperty({ example: 4900, description: 'Monthly price in the currency’s minor unit' })
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  priceCents: number;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 code' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'plan.currency must be a three-letter ISO 4217 code such as EUR' })
  currency: string;
}

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Acme Corp' })
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ description: 'Platform admins only: the owning tenant (omit for a direct customer)', example: 'acme-portal' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;

  @ApiPropertyOptional({ description: "The tenant's own id for this group", example: 'cld-94kf' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  externalUid?: string;

  @ApiPropertyOptional({ enum: ['portico', 'external'], default: 'portico' })
  @IsOptional()
  @IsIn(['portico', 'external'])
  authMode?: AuthMode;

  @ApiPropertyOptional({ format: 'uuid', description: 'Required when authMode is external' })
  @IsOptional()
  @IsUUID()
  externalLoginProviderId?: string;

  @ApiPropertyOptional({ type: PlanDto, nullable: true, description: 'null: not billed' })
  @IsOptional()
  @IsObject({ message: PLAN_SHAPE })
  @ValidateNested()
  @Type(() => PlanDto)
  plan?: PlanDto | null;
}

export class UpdateOrganizationDto {
  @ApiPropertyOptional()
  @Trim()
  @IsOptionalNonNull()
  @SingleLine()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ nullable: true, type: String })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 255)
  externalUid?: string | null;

  @ApiPropertyOptional({ enum: ['portico', 'external'] })
  @IsOptionalNonNull()
  @IsIn(['portico', 'external'])
  authMode?: AuthMode;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsUUID()
  externalLoginProviderId?: string | null;

  @ApiPropertyOptional({ type: PlanDto, nullable: true })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsObject({ message: PLAN_SHAPE })
  @ValidateNested()
  @Type(() => PlanDto)
  plan?: PlanDto | null;
}

export class OrganizationQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;

  @ApiPropertyOptional({ description: 'Platform admins: only this tenant' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  externalUid?: string;
}

export class OrganizationView {
  @ApiProperty() id: string;
  @ApiProperty() siteId: number;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) tenantKey: string | null;
  @ApiProperty({ nullable: true, type: String }) externalUid: string | null;
  @ApiProperty({ enum: ['portico', 'external'] }) authMode: AuthMode;
  @ApiProperty({ nullable: true, type: String }) externalLoginProviderId: string | null;
  @ApiProperty({ nullable: true, type: PlanDto }) plan: PlanDto | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}
