export * from './identity-map.module';
export * from './identity-map.service';
export * from './dto/identity-link.dto';
export { IdentityLink, LINKED_ENTITY_TYPES } from './entities/identity-link.entity';
export type { LinkedEntityType } from './entities/identity-link.entity';
