export * from './oidc.module';
export { OidcInteractions, type PendingAuthorization } from './interaction/oidc-interactions.service';
export { isOidcProtocolPath } from './provider/protocol-path';
export { OidcClient } from './entities/oidc-client.entity';
export { OidcPayload } from './entities/oidc-payload.entity';
export { OidcSigningKey } from './entities/oidc-signing-key.entity';
export * from './dto/oidc-client.dto';
export * from './dto/signing-key.dto';
export { OidcSessions, type AuthorizedApplication } from './logout/oidc-sessions.service';
