import { BaseEntity } from '@portico/core';
import { Column, Entity } from 'typeorm';
import type { EmailVerificationMode } from './tenant-auth-settings.entity';

/** Global Configuration › Authentication: one row, made by the migration. */
@Entity('auth_settings')
export class AuthSettings extends BaseEntity {
  @Column({ type: Boolean }) methodPassword: boolean = true;
  @Column({ type: Boolean }) methodSaml: boolean = false;
  @Column({ type: Boolean }) methodLdap: boolean = false;
  @Column({ type: Boolean }) methodExternal: boolean = false;
  @Column({ type: Boolean, default: false }) methodOidc: boolean = false;
  @Column({ type: Boolean }) signupEnabled: boolean = false;
  @Column({ type: 'integer' }) sessionIdleMinutes: number = 30;
  @Column({ type: 'integer' }) maxPasswordFailures: number = 5;
  @Column({ type: 'integer' }) maxAuthenticatorFailures: number = 5;
  @Column({ type: 'integer' }) baseWaitSeconds: number = 30;
  @Column({ type: 'integer' }) maxWaitSeconds: number = 900;
  @Column({ type: 'varchar', length: 16, default: 'off' }) emailVerification: EmailVerificationMode = 'off';
  @Column({ type: 'integer', default: 8 }) passwordMinLength: number = 8;
  @Column({ type: Boolean, default: true }) passwordDisallowCommon: boolean = true;
  @Column({ type: Boolean, default: false }) requireAuthenticatorForAdmins: boolean = false;
}
