import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNonNull, PageQueryDto, Trim } from '@portico/core';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { DOMAIN_EVENT_NAMES } from '../event-names';

const EVENTS_MESSAGE = `events must list event names among: ${DOMAIN_EVENT_NAMES.join(', ')}`;

export class UpdateWebhookEndpointDto {
  @ApiProperty({
    example: 'https://portal.example.com/hooks/portico',
    description: 'https:// (plain http:// only with allowPrivateNetwork)',
  })
  @Trim()
  @IsString()
  @Length(1, 2048)
  url: string;

  @ApiProperty({ enum: DOMAIN_EVENT_NAMES, isArray: true, example: ['user.created', 'user.deleted'] })
  @IsArray({ message: EVENTS_MESSAGE })
  @ArrayMinSize(1, { message: 'events must name at least one event' })
  @ArrayMaxSize(DOMAIN_EVENT_NAMES.length)
  @ArrayUnique({ message: 'events must not repeat a name' })
  @IsIn(DOMAIN_EVENT_NAMES, { each: true, message: EVENTS_MESSAGE })
  events: string[];

  @ApiPropertyOptional({ example: 'Acme portal, production', description: 'For people: what receives these events' })
  @IsOptional()
  @Trim()
  @IsString()
  @Length(0, 200)
  description?: string;

  @ApiPropertyOptional({ default: true, description: 'Re-enabling clears the failure streak and the reason it was turned off' })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'Platform admins only: allow a loopback/private destination (and plain http) on purpose. A tenant key sending true is refused (403) unless the endpoint already has it; omitted, the stored value stays.',
  })
  @IsOptionalNonNull()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class CreateWebhookEndpointDto extends UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ description: 'Platform admins only: the owning tenant (omit for direct customers’ events)' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

export class WebhookEndpointQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only endpoints whose URL or description contains this (any case; % and _ match themselves)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;
}

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({ default: 1440, minimum: 0, maximum: 10080, description: 'Minutes the previous secret keeps signing too' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10080)
  overlapMinutes?: number;
}

export class WebhookEndpointView {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) tenantKey: string | null;
  @ApiProperty() url: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ enum: DOMAIN_EVENT_NAMES, isArray: true }) events: string[];
  @ApiProperty() enabled: boolean;
  @ApiProperty() allowPrivateNetwork: boolean;
  @ApiProperty({ description: 'Always true: the secret is write-only' }) secretSet: boolean;
  @ApiProperty({ nullable: true, type: Date, description: 'Until then the previous secret signs too' })
  previousSecretExpiresAt: Date | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why Portico disabled the endpoint' }) disabledReason: string | null;
  @ApiProperty({ nullable: true, type: Date }) disabledAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: 'First failure since the last success' }) failingSince: Date | null;
  @ApiProperty({ description: 'Failed attempts since the last success' }) consecutiveFailures: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class CreatedWebhookEndpointView extends WebhookEndpointView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Shown once: store it to verify signatures' })
  secret: string;
}

export class RotatedWebhookSecretView {
  @ApiProperty({ description: 'The new secret, shown once' }) secret: string;
  @ApiProperty({ nullable: true, type: Date }) previousSecretExpiresAt: Date | null;
}
