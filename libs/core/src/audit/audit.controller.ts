import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import type { Response } from 'express';
import { AdminOnly } from '../http/access.decorator';
import { ApiPageResponse, Page, PageQueryDto } from '../pagination/pagination';
import { AUDIT_EXPORT_FORMATS, AuditExporter, type AuditExportFormat } from './audit-export';
import { AuditEventView, AuditService } from './audit.service';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only events of this tenant' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  tenantKey?: string;

  @ApiPropertyOptional({ description: 'Only this action, e.g. user.created' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  action?: string;

  @ApiPropertyOptional({ description: 'Only events at or after this time (ISO 8601)', type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date-time' })
  since?: Date;

  @ApiPropertyOptional({ description: 'Only events this user did or that were done to their account (their id)', format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a user id (a UUID)' })
  userId?: string;
}

export class AuditExportQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_EXPORT_FORMATS, default: 'ndjson' })
  @IsOptional()
  @IsIn(AUDIT_EXPORT_FORMATS, { message: 'format must be ndjson or csv' })
  format?: AuditExportFormat;

  @ApiPropertyOptional({ description: 'Only events at or after this time (ISO 8601)', type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'since must be an ISO 8601 date-time' })
  since?: Date;

  @ApiPropertyOptional({ description: 'Only events before this time (ISO 8601)', type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'until must be an ISO 8601 date-time' })
  until?: Date;

  @ApiPropertyOptional({ description: 'Only events of this tenant' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  tenantKey?: string;

  @ApiPropertyOptional({ description: 'Only actions starting with this, e.g. `user.` or `tenant.api_key.created`' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  action?: string;

  @ApiPropertyOptional({ description: 'Only actors whose label starts with this: an email, `tenant:acme`, `api-token:ci`' })
  @IsOptional()
  @IsString()
  @Length(1, 320)
  actor?: string;

  @ApiPropertyOptional({ description: 'Only events this user did or that were done to their account (their id)', format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a user id (a UUID)' })
  userId?: string;
}

@ApiTags('audit')
@AdminOnly()
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly exporter: AuditExporter,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List audit events' })
  @ApiPageResponse(AuditEventView, 'Audit events, newest first')
  list(@Query() query: AuditQueryDto): Promise<Page<AuditEventView>> {
    return this.audit.list(query);
  }

  /** Platform admins only: a tenant API key gets 403, as on the list. */
  @Get('export')
  @ApiOperation({ summary: 'Export audit events' })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({
    description:
      'Every matching event, oldest first, streamed: NDJSON (one event per line, as in the list) or CSV (a header row; ' +
      'cells a spreadsheet would run as formulas start with an apostrophe)',
  })
  async export(@Query() query: AuditExportQueryDto, @Res() res: Response): Promise<void> {
    const { format = 'ndjson', action, ...selection } = query;
    await this.exporter.stream({ ...selection, actionPrefix: action }, format, res);
  }
}
