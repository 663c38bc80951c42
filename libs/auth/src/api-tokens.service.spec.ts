import { AppConfig, buildDataSourceOptions, CryptoService, TransactionService } from '@portico/core';
import { DataSource } from 'typeorm';
import { ApiTokensService } from './api-tokens.service';
import { AuthRepository } from './auth.repository';
import { AdminApiToken } from './entities/admin-api-token.entity';

describe('ApiTokensService', () => {
  let ds: DataSource;
  let tokens: ApiTokensService;
  let tx: TransactionService;

  beforeAll(async () => {
    const config = new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' });
    ds = await new DataSource({
      ...buildDataSourceOptions(config.database, { entities: [AdminApiToken], migrations: [] }),
      synchronize: true,
    }).initialize();
    tx = new TransactionService(ds);
    tokens = new ApiTokensService(tx, new AuthRepository(tx), new CryptoService(config));
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
});
