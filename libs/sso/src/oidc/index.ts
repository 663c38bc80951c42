export * from './oidc.module';
export * from './tenant-oidc.service';
export * from './dto/tenant-oidc.dto';
export type { OidcTestResult, PendingOidcSignIn } from './login/oidc-pending';
export { rememberPending as rememberOidcSignIn, takeTestResult as takeOidcTestResult } from './login/oidc-pending';
export { TenantOidcConnection } from './entities/tenant-oidc-connection.entity';
