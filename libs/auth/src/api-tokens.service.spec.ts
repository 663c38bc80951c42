import {
  AppConfig,
  AuditService,
  buildDataSourceOptions,
  CryptoService,
  RequestContext,
  TestClock,
  TransactionService,
} from '@portico/core';
import { DataSource } from 'typeorm';
import { ApiTokensService } from './api-tokens.service';
import { AuthRepository } from './auth.repository';
import { AdminApiToken } from './entities/admin-api-token.entity';

describe('ApiTokensService', () => {
  let ds: DataSource;
  let tokens: ApiTokensService;
  let tx: TransactionService;
  const clock = new TestClock();
  const audit = { record: jest.fn() } as unknown as AuditService;
  const admin = new RequestContext({ kind: 'platform-admin', id: 'a', label: 'admin@example.com' }, null);

  beforeAll(async () => {
    const config = new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' });
    ds = await new DataSource({
      ...buildDataSourceOptions(config.database, { entities: [AdminApiToken], migrations: [] }),
      synchronize: true,
    }).initialize();
    tx = new TransactionService(ds);
    tokens = new ApiTokensService(tx, new AuthRepository(tx), new CryptoService(config), audit, clock);
  });
  afterAll(() => ds.destroy());

  it('accepts the token from the environment, again after a restart, and not a wrong one', async () => {
    await tokens.ensure('ADMIN_API_TOKEN', 'first-token-0123456789abcdef');
    await tokens.ensure('ADMIN_API_TOKEN', 'first-token-0123456789abcdef');
    expect(await tokens.verify('first-token-0123456789abcdef')).not.toBeNull();
    expect(await tokens.verify('first-token-0123456789abcdeX')).toBeNull();
    expect(await ds.manager.count(AdminApiToken)).toBe(1);
  });

  it('revokes the previous token when the environment gives a new one', async () => {
    await tokens.ensure('ADMIN_API_TOKEN', 'second-token-0123456789abcdef');
    expect(await tokens.verify('first-token-0123456789abcdef')).toBeNull();
    expect(await tokens.verify('second-token-0123456789abcdef')).not.toBeNull();
  });

  it('brings a rotated-away token back only when it is configured again', async () => {
    await tokens.ensure('ADMIN_API_TOKEN', 'first-token-0123456789abcdef');
    expect(await tokens.verify('first-token-0123456789abcdef')).not.toBeNull();
    expect(await tokens.verify('second-token-0123456789abcdef')).toBeNull();
  });

  it('a restart with the same token writes nothing (no write lock beside a busy instance)', async () => {
    const writes = jest.spyOn(tx, 'run');
    try {
      await tokens.ensure('ADMIN_API_TOKEN', 'first-token-0123456789abcdef');
      expect(writes).not.toHaveBeenCalled();
      await tokens.ensure('ADMIN_API_TOKEN', 'third-token-0123456789abcdef');
      expect(writes).toHaveBeenCalledTimes(1);
    } finally {
      writes.mockRestore();
    }
    expect(await tokens.verify('third-token-0123456789abcdef')).not.toBeNull();
  });

  it('records when a token was last used at most once a minute', async () => {
    const { token, secret } = await tokens.create(admin, 'deploy script');
    expect(token.lastUsedAt).toBeNull();
    clock.freeze(new Date('2026-12-07T10:00:00Z'));
    try {
      await tokens.verify(secret);
      const touches = jest.spyOn(AuthRepository.prototype, 'touchToken');
      clock.advance(59_000);
      await tokens.verify(secret);
      expect(touches).not.toHaveBeenCalled();
      clock.advance(2_000);
      await tokens.verify(secret);
      expect(touches).toHaveBeenCalledTimes(1);
      touches.mockRestore();
      expect((await tokens.find(admin, token.id)).lastUsedAt).toEqual(new Date('2026-12-07T10:01:01Z'));
    } finally {
      clock.reset();
    }
  });

  it('creates tokens that work until revoked, keeps only their hash, and keep the ADMIN_API_TOKEN name for the environment', async () => {
    const { token, secret } = await tokens.create(admin, 'ci');
    expect(secret).toMatch(/^portico_[\w-]{43}$/);
    expect((await tokens.verify(secret))?.id).toBe(token.id);
    const stored = await ds.manager.findOneByOrFail(AdminApiToken, { id: token.id });
    expect(stored.tokenHash).not.toContain(secret.slice(8));
    await tokens.revoke(admin, token.id);
    expect(await tokens.verify(secret)).toBeNull();
    expect((await tokens.list(admin)).map((t) => t.name)).not.toContain('ci');
    await expect(tokens.create(admin, 'admin_api_token')).rejects.toThrow('kept for the token set in the environment');
    const tenant = new RequestContext({ kind: 'tenant', id: 'k', label: 't', tenantId: 't', tenantKey: 't' }, 't');
    await expect(tokens.list(tenant)).rejects.toThrow('Only platform administrators');
  });
});
