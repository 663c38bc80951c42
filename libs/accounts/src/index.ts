export * from './accounts.module';
export * from './tokens/account-tokens.service';
export { AccountToken } from './tokens/entities/account-token.entity';
export * from './verification/email-verification.service';
export * from './verification/email-verification.module';
export * from './password-reset/password-reset.service';
export * from './password-reset/password-reset.module';
export * from './invitations';
export * from './email-change';
