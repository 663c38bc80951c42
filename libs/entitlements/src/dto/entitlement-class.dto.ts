import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQueryDto, Trim } from '@portico/core';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { LowerTrim, PRINTABLE, printableMessage, SERVER_MESSAGE, SERVER_PATTERN } from './validation';

export class EntitlementClassDto {
  @ApiProperty({ example: 'myProduct', description: 'The class name repositories send as `class`' })
  @Trim()
  @IsString()
  @Length(1, 200)
  @Matches(PRINTABLE, { message: printableMessage('name') })
  name: string;

  @ApiProperty({ example: 'rm.example.com', description: 'The repository host name' })
  @LowerTrim()
  @IsString()
  @Length(1, 255)
  @Matches(SERVER_PATTERN, { message: SERVER_MESSAGE })
  server: string;

  @ApiProperty({ example: '03d59e663c1af9ac33a9949d1193505a8460731e', description: 'The real entitlement key of this class' })
  @Trim()
  @IsString()
  @Length(1, 255)
  @Matches(PRINTABLE, { message: printableMessage('realKey') })
  realKey: string;
}

export class EntitlementClassQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name or server' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;
}

export class EntitlementClassView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() server: string;
  @ApiProperty() realKey: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}
