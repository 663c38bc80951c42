import { Injectable } from '@nestjs/common';
import { CryptoService } from '@portico/core';
import type { TenantRef } from '@portico/tenants';
import { LoginAccount, UserCredentialsService } from '@portico/users';
import type { FirstFactor, FirstFactorResult } from './login-method';

/** Email or username + password, checked against the argon2id hash. */
@Injectable()
export class PasswordLogin implements FirstFactor {
  readonly method = 'password' as const;
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly crypto: CryptoService,
    private readonly credentials: UserCredentialsService,
  ) {}

  async check(tenant: TenantRef | null, login: string, password: string): Promise<FirstFactorResult> {
    return this.checkAccount(await this.credentials.findByLogin(tenant?.id ?? null, login), password);
  }

  /** The password of an account already looked up (null: nobody by that name). */
  async checkAccount(account: LoginAccount | null, password: string): Promise<FirstFactorResult> {
    if (!account?.passwordHash) {
      // Spend the same time as a real check, so unknown users cannot be told apart by timing.
      await this.crypto.verifyPassword(await this.getDummyHash(), password);
      return { ok: false, account };
    }
    return (await this.crypto.verifyPassword(account.passwordHash, password)) ? { ok: true, account } : { ok: false, account };
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.crypto.hashPassword(this.crypto.randomToken(16));
    return this.dummyHash;
  }
}
