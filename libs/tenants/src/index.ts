export * from './tenants.module';
export * from './tenants.service';
export * from './dto/tenant.dto';
export { Tenant } from './entities/tenant.entity';
export { TenantApiKey } from './entities/tenant-api-key.entity';
export * from './dto/tenant-integration.dto';
export { TenantIntegration } from './entities/tenant-integration.entity';
export { TENANT_EVENTS, type TenantEventData } from './tenant-events';
