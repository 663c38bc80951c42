import { availableParallelism } from 'node:os';
import { AppConfig } from '../config/app-config';
import { CryptoService } from './crypto.service';

const config = (key: string) => new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', PORTICO_SECRET_KEY: key });

describe('CryptoService', () => {
  const crypto = new CryptoService(config('k'.repeat(40)));

  it('hashes passwords with argon2id at OWASP strength and verifies them without truncation', async () => {
    const long = 'p'.repeat(200);
    const hash = await crypto.hashPassword(long);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await crypto.verifyPassword(hash, long)).toBe(true);
    expect(await crypto.verifyPassword(hash, long.slice(0, 199))).toBe(false);
    expect(await crypto.verifyPassword(hash, `${long}x`)).toBe(false);
    expect(await crypto.verifyPassword('not-a-hash', long)).toBe(false);
    expect(await crypto.verifyPassword(null, long)).toBe(false);
  });

  it('encrypts secrets at rest so that only the same key reads them back', () => {
    const sealed = crypto.encrypt('bind-password');
    expect(sealed).not.toContain('bind-password');
    expect(crypto.encrypt('bind-password')).not.toBe(sealed);
    expect(crypto.decrypt(sealed)).toBe('bind-password');
    expect(() => new CryptoService(config('o'.repeat(40))).decrypt(sealed)).toThrow();
    const [v, iv, tag, body] = sealed.split(':');
    const tampered = [v, iv, tag, Buffer.from('tampered').toString('base64')].join(':');
    expect(() => crypto.decrypt(tampered)).toThrow();
    expect(body).toBeTruthy();
  });

  it('compares secrets of any length without throwing', () => {
    expect(crypto.safeEqual('abc', 'abc')).toBe(true);
    expect(crypto.safeEqual('abc', 'abcd')).toBe(false);
    expect(crypto.safeEqual('', 'x')).toBe(false);
    expect(crypto.hashToken('t')).toMatch(/^[0-9a-f]{64}$/);
    // FIPS 180-2's test vector for SHA-256.
    expect(crypto.hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(crypto.randomToken(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(crypto.sameDigest(crypto.hashToken('a'), crypto.hashToken('a'))).toBe(true);
    expect(crypto.sameDigest(crypto.hashToken('a'), crypto.hashToken('b'))).toBe(false);
    // Anything but two whole digests is never equal, and never throws.
    expect(crypto.sameDigest('', '')).toBe(false);
    expect(crypto.sameDigest('zz', 'zz')).toBe(false);
    expect(crypto.sameDigest(crypto.hashToken('a'), crypto.hashToken('a').slice(0, 62))).toBe(false);
  });
});

describe('CryptoService password hashing under load', () => {
  afterEach(() => jest.dontMock('argon2'));

  it('runs at most one argon2 computation per core at a time, and answers every caller', async () => {
    let running = 0;
    let most = 0;
    const slowly = async <T>(result: T): Promise<T> => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return result;
    };
    jest.doMock('argon2', () => ({
      argon2id: 2,
      hash: (password: string) => slowly(`hash:${password}`),
      verify: (hash: string, password: string) => slowly(hash === `hash:${password}`),
    }));
    let Isolated!: typeof CryptoService;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ({ CryptoService: Isolated } = require('./crypto.service') as { CryptoService: typeof CryptoService });
    });
    const crypto = new Isolated(config('k'.repeat(40)));
    const cores = availableParallelism();
    const answers = await Promise.all([
      ...Array.from({ length: cores * 4 }, () => crypto.verifyPassword('hash:right', 'right')),
      ...Array.from({ length: cores * 2 }, () => crypto.verifyPassword('hash:right', 'wrong')),
      crypto.hashPassword('new'),
    ]);
    expect(most).toBe(cores);
    expect(answers.filter((a) => a === true)).toHaveLength(cores * 4);
    expect(answers.filter((a) => a === false)).toHaveLength(cores * 2);
    expect(answers.at(-1)).toBe('hash:new');
  });
});
