import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import * as nodeCrypto from 'node:crypto';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { AppConfig } from '../config/app-config';

// OWASP's argon2id baseline is m=19 MiB, t=2, p=1; we spend a little more memory.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const CIPHER_VERSION = 'v1';

// At most one argon2 computation per core at a time; the others wait their turn in order. Each
// one streams through 19 MiB: more at once than there are cores only time-slices them against
// each other and the event loop, evicting every cache on the way (measured: 8–10 % more CPU per
// sign-in with libuv's four threads all hashing on two cores). It also bounds the memory a flood
// of sign-ins can take, and keeps libuv's other threads free for file and DNS work.
const hashing = pLimit(Math.max(1, availableParallelism()));

// crypto.hash (Node ≥ 20.12; package.json asks for ≥ 20.19) digests a short input in one call,
// several times cheaper than a createHash() object. @types/node does not declare it yet.
const hashOnce = (nodeCrypto as unknown as { hash: (algorithm: 'sha256', data: string, encoding: 'hex' | 'buffer') => string | Buffer })
  .hash;

/**
 * Hashing, encryption at rest and comparison in one place, so every module does them the same way.
 * - hashPassword / verifyPassword: argon2id (runs on libuv's pool, off the event loop, one per core at a time).
 * - hashToken: SHA-256 for high-entropy random secrets (API keys), which need no stretching.
 * - keyedDigest: HMAC-SHA256 under a key of its own, for short random secrets (recovery codes): a
 *   stolen table cannot be checked against guesses without the secret key.
 * - encrypt / decrypt: AES-256-GCM with a key derived from PORTICO_SECRET_KEY.
 */
@Injectable()
export class CryptoService {
  private readonly key: Buffer;
  private readonly digestKey: Buffer;

  constructor(config: AppConfig) {
    this.key = Buffer.from(hkdfSync('sha256', config.secretKey, 'portico', 'secrets-at-rest', 32));
    this.digestKey = Buffer.from(hkdfSync('sha256', config.secretKey, 'portico', 'keyed-digests', 32));
  }

  /** HMAC-SHA256 (hex) of `value`, bound to `purpose`; compare two with sameDigest. */
  keyedDigest(purpose: string, value: string): string {
    return createHmac('sha256', this.digestKey).update(`${purpose}\0${value}`).digest('hex');
  }

  hashPassword(password: string): Promise<string> {
    return hashing(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  async verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
    if (!hash) return false;
    try {
      return await hashing(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  hashToken(token: string): string {
    return hashOnce('sha256', token, 'hex') as string;
  }

  /** A URL-safe random secret with the given number of random bytes. */
  randomToken(bytes = 32): string {
    return randomBytes(bytes).toString('base64url');
  }

  /**
   * Compares two SHA-256 hex digests (hashToken's) in constant time. Both have the same public
   * length, so there is nothing to hide by digesting them again as safeEqual does.
   */
  sameDigest(a: string, b: string): boolean {
    const left = Buffer.from(a, 'hex');
    const right = Buffer.from(b, 'hex');
    return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
  }

  safeEqual(a: string, b: string): boolean {
    // Digests first: equal lengths for timingSafeEqual, and the time taken says nothing about either length.
    return timingSafeEqual(hashOnce('sha256', a, 'buffer') as Buffer, hashOnce('sha256', b, 'buffer') as Buffer);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [CIPHER_VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== CIPHER_VERSION || !iv || !tag || body === undefined) throw new Error('Unrecognised ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
