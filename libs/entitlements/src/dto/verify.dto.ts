import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQueryDto } from '@portico/core';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { DECISION_CODES, type DecisionCode } from '../check/decision';

export class VerifyEntitlementDto {
  @ApiProperty({ example: 'rm.example.com' })
  @IsString()
  @Length(1, 2048)
  server: string;

  @ApiPropertyOptional({ example: 'myProduct' })
  @IsOptional()
  @IsString()
  @Length(0, 2048)
  class?: string;

  @ApiProperty({ example: 'w45tv-23xda-e4dd2-11zgv' })
  @IsString()
  @Length(1, 2048)
  key: string;

  @ApiPropertyOptional({ example: '198.51.100.7' })
  @IsOptional()
  @IsString()
  @Length(0, 64)
  remoteIp?: string;
}

export class VerifyResultView {
  @ApiProperty() valid: boolean;
  @ApiProperty({ enum: DECISION_CODES }) code: DecisionCode;
  @ApiPropertyOptional({ description: 'The real key, when valid' }) key?: string;
  @ApiPropertyOptional({ description: 'The class granted, when valid' }) class?: string;
}

export class DecisionQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DECISION_CODES })
  @IsOptional()
  @IsIn(DECISION_CODES)
  code?: DecisionCode;

  @ApiPropertyOptional({ description: 'Part of the key' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  key?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  server?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date-time' })
  since?: Date;
}

export class DecisionView {
  @ApiProperty() at: Date;
  @ApiProperty({ description: 'Identical decisions within one second are one row' }) count: number;
  @ApiProperty({ enum: DECISION_CODES }) code: DecisionCode;
  @ApiProperty({ enum: ['check', 'verify'] }) channel: string;
  @ApiProperty({ enum: ['local', 'source'] }) via: string;
  @ApiProperty({ nullable: true, type: String }) server: string | null;
  @ApiProperty({ nullable: true, type: String }) class: string | null;
  @ApiProperty({ nullable: true, type: String }) key: string | null;
  @ApiProperty({ nullable: true, type: String }) remoteIp: string | null;
  @ApiProperty({ nullable: true, type: String }) callerIp: string | null;
  @ApiProperty({ nullable: true, type: String }) detail: string | null;
}
