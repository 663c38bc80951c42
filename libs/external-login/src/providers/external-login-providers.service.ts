import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  CryptoService,
  InvalidInputError,
  isForeignKeyViolation,
  isUniqueViolation,
  NotFoundError,
  Page,
  PageQueryDto,
  RequestContext,
  TransactionService,
} from '@portico/core';
import {
  CreateExternalLoginProviderDto,
  ExternalLoginProviderView,
  ExternalLoginTestResultView,
  TestExternalLoginProviderDto,
  UpdateExternalLoginProviderDto,
} from '../dto/external-login-provider.dto';
import { ExternalLoginProvider } from '../entities/external-login-provider.entity';
import { ExternalLoginRepository } from '../external-login.repository';
import { ProviderCircuitBreakers } from './circuit-breaker';
import { ProviderClient, ProviderConfig } from './provider-client';
import { connectionProblems } from './provider-settings-check';

const DUPLICATE = 'An external login provider with that name already exists';
const IN_USE = 'The provider is assigned to organizations: switch them to another provider (or to Portico) first';

/** External login providers: the systems that check passwords for the organizations assigned to them. */
@Injectable()
export class ExternalLoginProvidersService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly crypto: CryptoService,
    private readonly breakers: ProviderCircuitBreakers,
    private readonly client: ProviderClient,
    private readonly repo: ExternalLoginRepository,
  ) {}

  list(query: PageQueryDto): Promise<Page<ExternalLoginProviderView>> {
    return this.repo.listProviders(query, (rows) => rows.map((p) => this.toView(p)));
  }

  async get(id: string): Promise<ExternalLoginProviderView> {
    return this.toView(await this.findOrFail(id));
  }

  /** Names to choose from (organization pages). */
  async choices(): Promise<{ id: string; name: string }[]> {
    return (await this.repo.providerNames()).map((p) => ({ id: p.id, name: p.name }));
  }

  async create(ctx: RequestContext, dto: CreateExternalLoginProviderDto): Promise<ExternalLoginProviderView> {
    const provider = this.repo.newProvider({
      name: dto.name,
      url: dto.url,
      accessTokenHeader: dto.accessTokenHeader ?? 'x-access-token',
      timeoutMs: dto.timeoutMs ?? 5000,
      allowUserCreation: dto.allowUserCreation ?? false,
      allowPrivateNetwork: dto.allowPrivateNetwork ?? false,
      caCertificate: dto.caCertificate ?? null,
    });
    this.applySecrets(provider, dto);
    this.checkConnection(provider);
    try {
      return await this.tx.run(async () => {
        await this.repo.saveProvider(provider);
        await this.audit.record(ctx, {
          action: 'external_login_provider.created',
          targetType: 'external_login_provider',
          targetId: provider.id,
          details: { name: provider.name, url: provider.url, ...secretFlags(provider) },
        });
        return this.toView(provider);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(DUPLICATE);
      throw err;
    }
  }

  async update(ctx: RequestContext, id: string, dto: UpdateExternalLoginProviderDto): Promise<ExternalLoginProviderView> {
    try {
      const view = await this.tx.run(async () => {
        const provider = await this.findOrFail(id);
        const before = { ...provider };
        if (dto.name !== undefined) provider.name = dto.name;
        if (dto.url !== undefined) provider.url = dto.url;
        if (dto.accessTokenHeader !== undefined) provider.accessTokenHeader = dto.accessTokenHeader;
        if (dto.timeoutMs !== undefined) provider.timeoutMs = dto.timeoutMs;
        if (dto.allowUserCreation !== undefined) provider.allowUserCreation = dto.allowUserCreation;
        if (dto.allowPrivateNetwork !== undefined) provider.allowPrivateNetwork = dto.allowPrivateNetwork;
        if (dto.caCertificate !== undefined) provider.caCertificate = dto.caCertificate;
        this.applySecrets(provider, dto);
        this.checkConnection(provider);
        const changed = (Object.keys(before) as (keyof ExternalLoginProvider)[]).filter(
          (k) => k !== 'updatedAt' && before[k] !== provider[k],
        );
        if (changed.length) {
          await this.repo.saveProvider(provider);
          // Field names only: the encrypted columns change on every write and say nothing to a reader.
          await this.audit.record(ctx, {
            action: 'external_login_provider.updated',
            targetType: 'external_login_provider',
            targetId: provider.id,
            details: { name: provider.name, changed: changed.map((k) => k.replace(/Encrypted$/, '')) },
          });
        }
        return this.toView(provider);
      });
      // New settings deserve a fresh start: the old failures said nothing about them.
      this.breakers.reset(id);
      return { ...view, circuit: this.breakers.view(id) };
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(DUPLICATE);
      throw err;
    }
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    try {
      await this.tx.run(async () => {
        const provider = await this.findOrFail(id);
        await this.repo.deleteProvider(provider.id);
        await this.audit.record(ctx, {
          action: 'external_login_provider.deleted',
          targetType: 'external_login_provider',
          targetId: provider.id,
          details: { name: provider.name },
        });
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new ConflictError(IN_USE);
      throw err;
    }
    this.breakers.reset(id);
  }

  /** "Test provider": one login sent as typed, the answer shown as it came (the password is neither kept nor logged). */
  async test(ctx: RequestContext, id: string, dto: TestExternalLoginProviderDto): Promise<ExternalLoginTestResultView> {
    const config = await this.config(id);
    if (!config) throw new NotFoundError('External login provider');
    const result = await this.client.login(
      config,
      { siteId: dto.siteId, username: dto.username, password: dto.password },
      { bypassBreaker: true },
    );
    const view: ExternalLoginTestResultView = result.ok
      ? result.answer.loginSuccessful
        ? {
            outcome: 'accepted',
            reason: null,
            username: result.answer.username,
            emailAddress: result.answer.emailAddress,
            isSiteAdministrator: result.answer.isSiteAdministrator,
            failure: null,
            status: 200,
            durationMs: result.durationMs,
          }
        : {
            outcome: 'refused',
            reason: result.answer.reason,
            username: null,
            emailAddress: null,
            isSiteAdministrator: null,
            failure: null,
            status: 200,
            durationMs: result.durationMs,
          }
      : {
          outcome: 'failed',
          reason: result.message,
          username: null,
          emailAddress: null,
          isSiteAdministrator: null,
          failure: result.failure,
          status: result.status,
          durationMs: result.durationMs,
        };
    await this.tx.run(() =>
      this.audit.record(ctx, {
        action: 'external_login_provider.tested',
        targetType: 'external_login_provider',
        targetId: id,
        details: { siteId: dto.siteId, username: dto.username, outcome: view.outcome, ...(view.failure ? { failure: view.failure } : {}) },
      }),
    );
    return view;
  }

  /** For this module's login paths: the provider with its secrets readable, or null. */
  async config(id: string): Promise<ProviderConfig | null> {
    const p = await this.repo.findProvider(id);
    if (!p) return null;
    const open = (sealed: string | null) => (sealed ? this.crypto.decrypt(sealed) : null);
    return {
      id: p.id,
      name: p.name,
      url: p.url,
      accessTokenHeader: p.accessTokenHeader,
      accessToken: open(p.accessTokenEncrypted),
      clientCertificate: open(p.clientCertificateEncrypted),
      clientKey: open(p.clientKeyEncrypted),
      caCertificate: p.caCertificate,
      timeoutMs: p.timeoutMs,
      allowUserCreation: p.allowUserCreation,
      allowPrivateNetwork: p.allowPrivateNetwork,
    };
  }

  private applySecrets(p: ExternalLoginProvider, dto: UpdateExternalLoginProviderDto): void {
    const seal = (value: string | null) => (value ? this.crypto.encrypt(value) : null);
    if (dto.accessToken !== undefined) p.accessTokenEncrypted = seal(dto.accessToken);
    if (dto.clientCertificate !== undefined) {
      p.clientCertificateEncrypted = seal(dto.clientCertificate?.trim() || null);
      // Removing the certificate removes its key: a key alone is of no use.
      if (dto.clientCertificate === null && dto.clientKey === undefined) p.clientKeyEncrypted = null;
    }
    if (dto.clientKey !== undefined) p.clientKeyEncrypted = seal(dto.clientKey?.trim() || null);
    if (dto.caCertificate !== undefined) p.caCertificate = dto.caCertificate?.trim() || null;
  }

  private checkConnection(p: ExternalLoginProvider): void {
    const open = (sealed: string | null) => (sealed ? this.crypto.decrypt(sealed) : null);
    const problems = connectionProblems({
      url: p.url,
      allowPrivateNetwork: p.allowPrivateNetwork,
      clientCertificate: open(p.clientCertificateEncrypted),
      clientKey: open(p.clientKeyEncrypted),
      caCertificate: p.caCertificate,
    });
    if (problems.length) throw new InvalidInputError(problems.join('; '));
  }

  private async findOrFail(id: string): Promise<ExternalLoginProvider> {
    const provider = await this.repo.findProvider(id);
    if (!provider) throw new NotFoundError('External login provider');
    return provider;
  }

  private toView(p: ExternalLoginProvider): ExternalLoginProviderView {
    return {
      id: p.id,
      name: p.name,
      url: p.url,
      accessTokenHeader: p.accessTokenHeader,
      accessTokenSet: !!p.accessTokenEncrypted,
      clientCertificate: p.clientCertificateEncrypted ? this.crypto.decrypt(p.clientCertificateEncrypted) : null,
      clientKeySet: !!p.clientKeyEncrypted,
      caCertificate: p.caCertificate,
      timeoutMs: p.timeoutMs,
      allowUserCreation: p.allowUserCreation,
      allowPrivateNetwork: p.allowPrivateNetwork,
      circuit: this.breakers.view(p.id),
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    };
  }
}

function secretFlags(p: ExternalLoginProvider): Record<string, boolean> {
  return {
    accessTokenSet: !!p.accessTokenEncrypted,
    clientCertificateSet: !!p.clientCertificateEncrypted,
    allowPrivateNetwork: p.allowPrivateNetwork,
  };
}
