export * from './oidc.module';
export * from './tenant-oidc.service';
export * from './dto/tenant-oidc.dto';
export type { OidcTestResult } from './login/oidc-pending';
export { takeTestResult } from './login/oidc-pending';
export { TenantOidcConnection } from './entities/tenant-oidc-connection.entity';
