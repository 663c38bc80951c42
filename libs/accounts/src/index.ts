export * from './accounts.module';
export * from './tokens/account-tokens.service';
export { AccountToken } from './tokens/entities/account-token.entity';
export * from './invitations';
export * from './email-change';
