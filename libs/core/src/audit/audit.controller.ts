import { Controller, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, Length } from 'class-validator';
import { AdminOnly } from '../http/access.decorator';
import { ApiPageResponse, Page, PageQueryDto } from '../pagination/pagination';
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
}

@ApiTags('audit')
@AdminOnly()
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiPageResponse(AuditEventView, 'Audit events, newest first')
  list(@Query() query: AuditQueryDto): Promise<Page<AuditEventView>> {
    return this.audit.list(query);
  }
}
