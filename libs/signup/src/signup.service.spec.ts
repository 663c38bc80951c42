import { AuthSettingsService, LoginThrottle, LoginThrottleService } from '@portico/auth';
import { AppConfig, buildDataSourceOptions, Clock, CryptoService, DomainException, Metrics, TransactionService } from '@portico/core';
import type { EmailVerificationService } from '@portico/accounts';
import type { IdentityMapService } from '@portico/identity-map';
import type { OrganizationsService } from '@portico/organizations';
import type { UserCredentialsService, UsersService } from '@portico/users';
import { DataSource } from 'typeorm';
// The throttle's repository is auth's private provider; this spec builds the real throttle by hand.
import { AuthRepository } from '../../auth/src/auth.repository';
import { SignupService } from './signup.service';

describe('SignupService rate limit per address', () => {
  let ds: DataSource;
  let service: SignupService;
  let now = Date.parse('2030-01-01T00:00:00Z');

  beforeAll(async () => {
    ds = await new DataSource({
      ...buildDataSourceOptions(new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' }).database, {
        entities: [LoginThrottle],
        migrations: [],
      }),
      synchronize: true,
    }).initialize();
    const tx = new TransactionService(ds);
    let n = 0;
    const settings = { effective: async () => ({ signupEnabled: true }) } as unknown as AuthSettingsService;
    const organizations = { create: async () => ({ id: `org-${++n}` }) } as unknown as OrganizationsService;
    const users = { preparePassword: async () => ({ hash: 'h' }), create: async () => ({ id: `user-${n}` }) } as unknown as UsersService;
    const identityMap = {} as IdentityMapService;
    const verification = { required: async () => false } as unknown as EmailVerificationService;
    service = new SignupService(
      tx,
      settings,
      new LoginThrottleService(tx, new AuthRepository(tx), new Clock(), Metrics.disabled()),
      organizations,
      users,
      identityMap,
      verification,
      {} as UserCredentialsService,
      {} as CryptoService,
    );
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await ds?.destroy();
  });

  const signUp = (ip: string) =>
    service.register(
      null,
      { email: 'a@b.example', firstName: 'A', lastName: 'B', organizationName: 'O', password: 'x' },
      { trusted: false, ip, via: 'api' },
    );

  it('pauses an address after 20 sign-ups, and lets it sign up again once the pause is over', async () => {
    for (let i = 0; i < 20; i++) await signUp('192.0.2.1');
    await expect(signUp('192.0.2.1')).rejects.toThrow(/Too many sign-ups from your network\. Try again in 60 seconds/);
    await expect(signUp('192.0.2.2')).resolves.toBeDefined();
    now += 61_000;
    await expect(signUp('192.0.2.1')).resolves.toBeDefined();
  });

  it('does not limit a tenant calling with its API key', async () => {
    for (let i = 0; i < 25; i++) {
      await service.register(
        null,
        { email: 'a@b.example', firstName: 'A', lastName: 'B', organizationName: 'O', password: 'x' },
        { trusted: true, ip: '192.0.2.9', via: 'api' },
      );
    }
    await expect(signUp('192.0.2.9')).resolves.toBeDefined();
  });

  it('answers with a domain error the filter turns into 429', async () => {
    const ip = '192.0.2.3';
    for (let i = 0; i < 20; i++) await signUp(ip);
    const err = await signUp(ip).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainException);
    expect((err as DomainException).code).toBe('TOO_MANY_REQUESTS');
  });
});
