import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, JobProcessor, JobQueue, OutboundHttpService } from '@portico/core';
import { randomUUID } from 'node:crypto';
import { OidcProviderService } from '../provider/oidc-provider.service';
import { BACKCHANNEL_JOB, type BackchannelLogoutJob } from './oidc-sessions.service';

// When a receiver did not take the token: try again after these delays, then give up.
const RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

/**
 * Back-Channel Logout 1.0: a logout token signed with the provider's keys, POSTed to the client's
 * back-channel logout URI through Portico's outbound client (its address policy: a private address
 * only when an administrator allowed it on the client). Retries are jobs of their own with a delay,
 * so they work alike in-process and on BullMQ; the token is signed afresh for each try.
 */
@Injectable()
@JobProcessor(BACKCHANNEL_JOB)
export class BackchannelLogoutProcessor implements JobHandler<BackchannelLogoutJob> {
  private readonly logger = new Logger('OIDC');

  constructor(
    private readonly oidc: OidcProviderService,
    private readonly outbound: OutboundHttpService,
    private readonly jobs: JobQueue,
  ) {}

  async handle(job: BackchannelLogoutJob): Promise<void> {
    const provider = await this.oidc.provider();
    const client = await provider.Client.find(job.clientId);
    // A client deleted meanwhile, or one that no longer has a back-channel URI: nobody to tell.
    if (!client?.backchannelLogoutUri) return;
    const token = new provider.IdToken({ sub: job.accountId }, { client });
    // No scope asks for sub here: the mask lets it through, as the library does for its own logout tokens.
    (token as unknown as { mask: Record<string, null> }).mask = { sub: null };
    token.set('events', { 'http://schemas.openid.net/event/backchannel-logout': {} });
    token.set('jti', randomUUID());
    token.set('sid', job.sid);
    const logoutToken = await token.issue({ use: 'logout' });
    const allowPrivate = (client as unknown as Record<string, unknown>).portico_allow_private_network === true;
    const result = await this.outbound.send({
      url: client.backchannelLogoutUri,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      allowPrivateNetwork: allowPrivate,
      allowHttp: allowPrivate,
      timeoutMs: 5_000,
      maxBytes: 8 * 1024,
      truncateBody: true,
    });
    if (result.ok && (result.status === 200 || result.status === 204)) return;
    const why = result.ok ? `answered ${result.status}` : result.message;
    // A refused address will not become allowed by waiting.
    const delay = !result.ok && result.error === 'refused' ? undefined : RETRY_DELAYS_MS[job.attempt];
    if (delay === undefined) {
      this.logger.warn(`Back-channel logout to client ${job.clientId} failed for good (${why})`);
      return;
    }
    this.logger.warn(`Back-channel logout to client ${job.clientId} failed (${why}); trying again`);
    await this.jobs.enqueue(BACKCHANNEL_JOB, { ...job, attempt: job.attempt + 1 }, { delayMs: delay });
  }
}
