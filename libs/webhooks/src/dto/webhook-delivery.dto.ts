import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQueryDto } from '@portico/core';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { MESSAGE_STATUSES, type MessageStatus } from '../entities/webhook-message.entity';

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the attempts of this message' })
  @IsOptional()
  @IsUUID(undefined, { message: 'messageId must be a UUID' })
  messageId?: string;
}

export class MessageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES)
  status?: MessageStatus;

  @ApiPropertyOptional({ example: 'user.created', description: 'Only messages of this event type' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  eventType?: string;
}

export class ReplayDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'Failed messages created at or after this time are sent again' })
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date-time' })
  since: Date;
}

export class WebhookAttemptView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The webhook-id header' }) messageId: string;
  @ApiProperty() eventType: string;
  @ApiProperty({ description: '1 for the first attempt' }) attempt: number;
  @ApiProperty({ nullable: true, type: Number, description: 'null when no answer came (timeout, refused, network)' })
  statusCode: number | null;
  @ApiProperty() durationMs: number;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The start of the answer, at most 2 KiB' }) responseBody: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The headers sent, each signature shortened (null on attempts older than this field)',
  })
  requestHeaders: Record<string, string> | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'The answer’s headers (at most 40, cookies hidden); null when no answer came',
  })
  responseHeaders: Record<string, string> | null;
  @ApiProperty() at: Date;
}

export class WebhookMessageView {
  @ApiProperty({ description: 'Also the webhook-id header' }) id: string;
  @ApiProperty() endpointId: string;
  @ApiProperty() eventId: string;
  @ApiProperty() eventType: string;
  @ApiProperty({ enum: MESSAGE_STATUSES }) status: MessageStatus;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: Date }) nextAttemptAt: Date | null;
  @ApiProperty({ nullable: true, type: Number }) lastStatusCode: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ nullable: true, type: Number }) lastDurationMs: number | null;
  @ApiProperty({ nullable: true, type: Date }) deliveredAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) failedAt: Date | null;
  @ApiProperty() createdAt: Date;
}

export class WebhookMessageDetailView extends WebhookMessageView {
  @ApiProperty({ description: 'The request body, the same on every attempt' }) payload: string;
}

export class ReplayResultView {
  @ApiProperty({ description: 'Failed messages queued again' }) queued: number;
}
