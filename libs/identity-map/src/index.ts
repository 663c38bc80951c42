export * from './identity-map.module';
export * from './identity-map.service';
export { IdentityLink } from './entities/identity-link.entity';
export type { LinkedEntityType } from './entities/identity-link.entity';
