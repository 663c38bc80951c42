import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNonNull, PageQueryDto, Trim } from '@portico/core';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, IsUUID, Length, Matches, ValidateIf } from 'class-validator';
import { VIRTUAL_STATUSES, type VirtualEntitlementStatus } from '../entities/virtual-entitlement.entity';
import { PRINTABLE, printableMessage } from './validation';

const DATE_MESSAGE = 'expiresAt must be an ISO 8601 date-time, or null for no expiry';

export class CreateVirtualEntitlementDto {
  @ApiProperty({ example: 'w45tv-23xda-e4dd2-11zgv', description: 'The customer key repositories send as `key`' })
  @Trim()
  @IsString()
  @Length(1, 255)
  @Matches(PRINTABLE, { message: printableMessage('key') })
  key: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID(undefined, { message: 'classId must be a UUID' })
  classId: string;

  @ApiPropertyOptional({ enum: VIRTUAL_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(VIRTUAL_STATUSES)
  status?: VirtualEntitlementStatus;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'null or absent: never expires' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Type(() => Date)
  @IsDate({ message: DATE_MESSAGE })
  expiresAt?: Date | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String, description: 'The customer organization (same tenant)' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsUUID(undefined, { message: 'organizationId must be a UUID' })
  organizationId?: string | null;

  @ApiPropertyOptional({ description: 'Platform admins only: the owning tenant (omit for a direct customer)' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

export class UpdateVirtualEntitlementDto {
  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  @Matches(PRINTABLE, { message: printableMessage('key') })
  key?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNonNull()
  @IsUUID(undefined, { message: 'classId must be a UUID' })
  classId?: string;

  @ApiPropertyOptional({ enum: VIRTUAL_STATUSES })
  @IsOptionalNonNull()
  @IsIn(VIRTUAL_STATUSES)
  status?: VirtualEntitlementStatus;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'null: never expires' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Type(() => Date)
  @IsDate({ message: DATE_MESSAGE })
  expiresAt?: Date | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsUUID(undefined, { message: 'organizationId must be a UUID' })
  organizationId?: string | null;
}

export class VirtualEntitlementQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the key' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  search?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID(undefined, { message: 'classId must be a UUID' })
  classId?: string;

  @ApiPropertyOptional({ enum: VIRTUAL_STATUSES })
  @IsOptional()
  @IsIn(VIRTUAL_STATUSES)
  status?: VirtualEntitlementStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID(undefined, { message: 'organizationId must be a UUID' })
  organizationId?: string;

  @ApiPropertyOptional({ description: 'Platform admins: only this tenant' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

export class VirtualEntitlementView {
  @ApiProperty() id: string;
  @ApiProperty() key: string;
  @ApiProperty() classId: string;
  @ApiProperty() className: string;
  @ApiProperty() server: string;
  @ApiProperty({ enum: VIRTUAL_STATUSES }) status: VirtualEntitlementStatus;
  @ApiProperty({ nullable: true, type: Date }) expiresAt: Date | null;
  @ApiProperty({ description: 'expiresAt has passed' }) expired: boolean;
  @ApiProperty({ nullable: true, type: String }) organizationId: string | null;
  @ApiProperty({ nullable: true, type: String }) tenantKey: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class ImportVirtualEntitlementsDto {
  @ApiProperty({
    description:
      'CSV with a header row. Columns: key (required), server and class (the class; optional when defaultClassId is given), status, expiresAt, organizationId',
    example: 'key,server,class,expiresAt\nw45tv-23xda,rm.example.com,myProduct,2030-01-01T00:00:00Z',
  })
  @IsString()
  @Length(1, 2_000_000)
  csv: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The class of rows that name none' })
  @IsOptional()
  @IsUUID(undefined, { message: 'defaultClassId must be a UUID' })
  defaultClassId?: string;

  @ApiPropertyOptional({ description: 'Platform admins only: the tenant every row belongs to (omit for direct customers)' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

export class ImportLineView {
  @ApiProperty({ description: 'Line number in the file (the header is line 1)' }) line: number;
  @ApiProperty({ nullable: true, type: String }) key: string | null;
  @ApiProperty({ enum: ['created', 'updated', 'error'] }) result: 'created' | 'updated' | 'error';
  @ApiPropertyOptional() message?: string;
}

export class ImportReportView {
  @ApiProperty() created: number;
  @ApiProperty() updated: number;
  @ApiProperty() failed: number;
  @ApiProperty({ type: [ImportLineView] }) lines: ImportLineView[];
}
