import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { PageQueryDto } from '@portico/core';
import { CHARGE_ROUTES, CHARGE_STATUSES, type ChargeRoute, type ChargeStatus } from '../entities/charge.entity';
import { PERIOD_MESSAGE, PERIOD_PATTERN } from '../period';

export class ChargeQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: '2026-11' })
  @IsOptional()
  @IsString({ message: PERIOD_MESSAGE })
  @Matches(PERIOD_PATTERN, { message: PERIOD_MESSAGE })
  period?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'organizationId must be a UUID' })
  organizationId?: string;

  @ApiPropertyOptional({ enum: CHARGE_STATUSES })
  @IsOptional()
  @IsIn(CHARGE_STATUSES, { message: `status must be one of ${CHARGE_STATUSES.join(', ')}` })
  status?: ChargeStatus;

  @ApiPropertyOptional({ enum: CHARGE_ROUTES })
  @IsOptional()
  @IsIn(CHARGE_ROUTES, { message: `route must be one of ${CHARGE_ROUTES.join(', ')}` })
  route?: ChargeRoute;

  @ApiPropertyOptional({ format: 'uuid', description: 'Charges billed by this run' })
  @IsOptional()
  @IsUUID('all', { message: 'runId must be a UUID' })
  runId?: string;

  @ApiPropertyOptional({ description: 'Platform admins: only this tenant’s organizations' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

export class BillingRunQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: '2026-11' })
  @IsOptional()
  @IsString({ message: PERIOD_MESSAGE })
  @Matches(PERIOD_PATTERN, { message: PERIOD_MESSAGE })
  period?: string;
}
