import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, Matches } from 'class-validator';
import { IsOptionalNonNull } from '@portico/core';
import { PERIOD_MESSAGE, PERIOD_PATTERN } from '../period';

export class CreateBillingRunDto {
  @ApiProperty({ example: '2026-11', description: 'The calendar month to bill (UTC), YYYY-MM' })
  @IsString({ message: PERIOD_MESSAGE })
  @Matches(PERIOD_PATTERN, { message: PERIOD_MESSAGE })
  period: string;

  @ApiPropertyOptional({ default: false, description: 'true: answer with what would be billed and write nothing' })
  @IsOptionalNonNull()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}
