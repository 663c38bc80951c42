import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsString, Length, MaxLength, ValidateIf } from 'class-validator';
import { IsOptionalNonNull } from '@portico/core';
import { IsHeaderName } from './header-name';

export const MAX_ALLOWED_IPS = 200;

export class UpdateExternalLoginSettingsDto {
  @ApiPropertyOptional({ description: 'Answer POST /external-login (off by default)' })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ default: 'x-access-token', description: 'Header the caller must send the access token in' })
  @IsOptionalNonNull()
  @IsHeaderName()
  accessTokenHeader?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    nullable: true,
    type: String,
    description: 'Required in accessTokenHeader when set (compared in constant time); null removes it',
  })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsString()
  @Length(8, 1000, { message: 'accessToken must be between 8 and 1000 characters' })
  accessToken?: string | null;

  @ApiPropertyOptional({
    type: [String],
    example: ['192.0.2.10', '10.0.0.0/8', '2001:db8::/32'],
    description:
      'Addresses and CIDR ranges (IPv4, IPv6) allowed to call; empty: any address. The address is the caller’s as TRUST_PROXY decides it (behind a proxy: the X-Forwarded-For entry your trusted proxies added).',
  })
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_IPS)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  allowedIps?: string[];
}

export class ExternalLoginSettingsView {
  @ApiProperty() enabled: boolean;
  @ApiProperty() accessTokenHeader: string;
  @ApiProperty({ description: 'An access token is stored (it is never returned)' }) accessTokenSet: boolean;
  @ApiProperty({ type: [String] }) allowedIps: string[];
  @ApiProperty() updatedAt: Date;
}
