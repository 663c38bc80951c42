import { Injectable, OnModuleInit } from '@nestjs/common';
import { OutboxRepository } from '../events/outbox.repository';
import { JobQueue } from '../jobs/job-queue';
import { Clock } from '../time/clock';
import { Metrics } from './metrics.service';

/** Core's scrape-time gauges: how far the outbox lags behind, and how deep the job queues are. */
@Injectable()
export class CoreGauges implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly outbox: OutboxRepository,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    const undispatched = this.metrics.sharedRead(() => this.outbox.undispatched());
    this.metrics.scrapedGauge({
      name: 'portico_outbox_lag_seconds',
      help: 'Age of the oldest domain event not yet handed to its subscribers (webhooks, billing…); 0 when none waits',
      read: async () => {
        const { oldest } = await undispatched();
        return [{ value: oldest ? Math.max(0, (this.clock.nowMs() - oldest.getTime()) / 1000) : 0 }];
      },
    });
    this.metrics.scrapedGauge({
      name: 'portico_outbox_events_waiting',
      help: 'Domain events in the outbox not yet handed to their subscribers',
      read: async () => [{ value: (await undispatched()).count }],
    });
    this.metrics.scrapedGauge<'queue' | 'state'>({
      name: 'portico_job_queue_depth',
      help: 'Jobs per queue (job type) and state: waiting, active, delayed (and failed on Redis). In-process queues count this process only',
      labelNames: ['queue', 'state'],
      read: async () => (await this.jobs.depths()).map((d) => ({ labels: { queue: d.queue, state: d.state }, value: d.count })),
    });
  }
}
