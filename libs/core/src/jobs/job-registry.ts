import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { OUTBOX_SUBSCRIBER } from '../events/outbox-subscriber';
import { JOB_PROCESSOR, JobHandler } from './job-queue';

/** The processors of this application, found once on first use (after every provider exists). */
@Injectable()
export class JobRegistry {
  private handlers: Map<string, JobHandler> | null = null;
  private subscribers: string[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  handler(jobName: string): JobHandler {
    const handler = this.all().get(jobName);
    if (!handler) throw new Error(`No processor for job "${jobName}": decorate a provider with @JobProcessor('${jobName}')`);
    return handler;
  }

  all(): Map<string, JobHandler> {
    if (!this.handlers) this.discover();
    return this.handlers!;
  }

  /** Job types that receive every batch of domain events from the outbox. */
  outboxSubscribers(): string[] {
    if (!this.handlers) this.discover();
    return this.subscribers;
  }

  private discover(): void {
    const handlers = new Map<string, JobHandler>();
    const subscribers: string[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const type = wrapper.metatype as object | undefined;
      const name = type ? (Reflect.getMetadata(JOB_PROCESSOR, type) as string | undefined) : undefined;
      if (!name || !wrapper.instance) continue;
      if (handlers.has(name)) throw new Error(`Two processors for job "${name}": there must be exactly one`);
      handlers.set(name, wrapper.instance as JobHandler);
      if (Reflect.getMetadata(OUTBOX_SUBSCRIBER, type!)) subscribers.push(name);
    }
    this.handlers = handlers;
    this.subscribers = subscribers.sort();
  }
}
