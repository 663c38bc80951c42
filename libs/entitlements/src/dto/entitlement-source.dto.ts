import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQueryDto, Trim } from '@portico/core';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { LowerTrim, PRINTABLE, printableMessage, SERVER_MESSAGE, SERVER_PATTERN } from './validation';

export class EntitlementSourceDto {
  @ApiProperty({ example: 'rm.example.com' })
  @LowerTrim()
  @IsString()
  @Length(1, 255)
  @Matches(SERVER_PATTERN, { message: SERVER_MESSAGE })
  server: string;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Only checks naming this class; null or absent: every check for the server',
  })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Trim()
  @IsString()
  @Length(1, 200)
  @Matches(PRINTABLE, { message: printableMessage('className') })
  className?: string | null;

  @ApiProperty({ example: 'https://crm.example.com/entitlements/check', description: 'https:// (http:// only with allowPrivateNetwork)' })
  @Trim()
  @IsString()
  @Length(1, 2048)
  url: string;

  @ApiPropertyOptional({
    default: 60,
    minimum: 0,
    maximum: 86400,
    description: 'How long grants and denials are reused; 0: ask every time',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86400)
  cacheSeconds?: number;

  @ApiPropertyOptional({ default: 3000, minimum: 100, maximum: 30000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(30000)
  timeoutMs?: number;

  @ApiPropertyOptional({
    default: false,
    description: 'Allow a loopback or private address (a CRM on this network), and plain http:// for it',
  })
  @IsOptional()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class EntitlementSourceQueryDto extends PageQueryDto {}

export class EntitlementSourceView {
  @ApiProperty() id: string;
  @ApiProperty() server: string;
  @ApiProperty({ nullable: true, type: String }) className: string | null;
  @ApiProperty() url: string;
  @ApiProperty() cacheSeconds: number;
  @ApiProperty() timeoutMs: number;
  @ApiProperty() allowPrivateNetwork: boolean;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}
