import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { databaseAnswers } from '../database/ping';
import { Public } from '../http/access.decorator';
import { JobQueue } from '../jobs/job-queue';

// A peer that takes longer than this counts as down: a load balancer's probe must not hang.
const CHECK_TIMEOUT_MS = 1_500;

type State = 'up' | 'down';

export interface ReadyBody {
  status: 'ok';
  database: 'up';
  redis?: 'up';
}

export interface NotReadyBody {
  statusCode: 503;
  error: 'Service Unavailable';
  message: string;
  database: State;
  redis?: State;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ description: 'The process is alive' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready when the database answers, and Redis when REDIS_URL is set (jobs and sessions need it). */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database and Redis answer' })
  @ApiOkResponse({ description: 'The database (and Redis, when configured) answers' })
  @ApiServiceUnavailableResponse({ description: 'The database or Redis does not answer; the body names which' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadyBody | NotReadyBody> {
    const [database, redis] = await Promise.all([
      within(databaseAnswers(this.dataSource)),
      this.config.redisUrl ? within(this.jobs.available()) : null,
    ]);
    if (database && redis !== false) return { status: 'ok', database: 'up', ...(redis ? { redis: 'up' as const } : {}) };
    const down = [database ? null : 'database', redis === false ? 'redis' : null].filter(Boolean);
    res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `Not ready: ${down.join(' and ')} ${down.length > 1 ? 'do' : 'does'} not answer`,
      database: database ? 'up' : 'down',
      ...(redis === null ? {} : { redis: redis ? 'up' : 'down' }),
    };
  }
}

/** The check's outcome, false when it fails or takes too long. */
async function within(check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([check, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)))]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
