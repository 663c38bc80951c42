import { Injectable, Logger } from '@nestjs/common';
import { OutboundHttpService } from '@portico/core';
import { ProviderCircuitBreakers } from './circuit-breaker';
import { ContractAnswer, parseProviderAnswer } from './provider-answer';

/** A provider as the client calls it: secrets decrypted, in memory for one call only. */
export interface ProviderConfig {
  id: string;
  name: string;
  url: string;
  accessTokenHeader: string;
  accessToken: string | null;
  clientCertificate: string | null;
  clientKey: string | null;
  caCertificate: string | null;
  timeoutMs: number;
  allowUserCreation: boolean;
  allowPrivateNetwork: boolean;
}

export interface ProviderLoginInput {
  siteId: number;
  username: string;
  password: string;
}

export type ProviderFailure = 'circuitOpen' | 'refused' | 'invalidUrl' | 'timeout' | 'network' | 'tooLarge' | 'status' | 'malformed';

export type ProviderCallResult =
  | { ok: true; answer: ContractAnswer; durationMs: number }
  | { ok: false; failure: ProviderFailure; message: string; status: number | null; durationMs: number };

/** The contract's cap on an answer: a few fields of JSON never need more. */
export const MAX_ANSWER_BYTES = 64 * 1024;

// A destination refused by policy or a broken URL is the configuration's fault, not the provider's:
// it would fail the same way every time, and opening the breaker would only hide the real message.
const COUNTS_AGAINST_PROVIDER = new Set<ProviderFailure>(['timeout', 'network', 'tooLarge', 'status', 'malformed']);

/** Calls a provider with the contract of POST /external-login, through the one outbound client. */
@Injectable()
export class ProviderClient {
  private readonly logger = new Logger('ExternalLoginProvider');

  constructor(
    private readonly http: OutboundHttpService,
    private readonly breakers: ProviderCircuitBreakers,
  ) {}

  /**
   * One login check. With `bypassBreaker` (the console's "Test provider") the call goes out even
   * while the breaker is open, and a contract answer closes it again.
   */
  async login(provider: ProviderConfig, input: ProviderLoginInput, opts: { bypassBreaker?: boolean } = {}): Promise<ProviderCallResult> {
    const breaker = this.breakers.of(provider.id);
    if (!opts.bypassBreaker && !breaker.tryAcquire()) {
      return {
        ok: false,
        failure: 'circuitOpen',
        message: 'The provider failed repeatedly; calls are paused for a short while',
        status: null,
        durationMs: 0,
      };
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (provider.accessToken) headers[provider.accessTokenHeader.toLowerCase()] = provider.accessToken;
    const tls = {
      ...(provider.clientCertificate && provider.clientKey ? { cert: provider.clientCertificate, key: provider.clientKey } : {}),
      ...(provider.caCertificate ? { ca: provider.caCertificate } : {}),
    };
    const sent = await this.http.send({
      url: provider.url,
      method: 'POST',
      headers,
      body: JSON.stringify({ site_id: input.siteId, username: input.username, password: input.password }),
      timeoutMs: provider.timeoutMs,
      maxBytes: MAX_ANSWER_BYTES,
      allowPrivateNetwork: provider.allowPrivateNetwork,
      allowHttp: provider.allowPrivateNetwork,
      tls,
    });
    let result: ProviderCallResult;
    if (!sent.ok) {
      result = { ok: false, failure: sent.error, message: sent.message, status: null, durationMs: sent.durationMs };
    } else {
      const parsed = parseProviderAnswer(sent.status, sent.headers, sent.body);
      result = parsed.ok
        ? { ok: true, answer: parsed.answer, durationMs: sent.durationMs }
        : { ok: false, failure: parsed.failure, message: parsed.message, status: sent.status, durationMs: sent.durationMs };
    }
    if (result.ok) breaker.succeeded();
    else if (COUNTS_AGAINST_PROVIDER.has(result.failure)) breaker.failed(`${result.failure}: ${result.message}`);
    else breaker.released();
    if (!result.ok) {
      // The reason is logged, never the password or the token; the person sees a general message.
      this.logger.warn(`Provider "${provider.name}" (${provider.id}) for site ${input.siteId}: ${result.failure}: ${result.message}`);
    }
    return result;
  }
}
