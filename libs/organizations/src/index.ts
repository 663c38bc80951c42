export * from './organizations.module';
export * from './organizations.service';
export * from './dto/organization.dto';
export { Organization } from './entities/organization.entity';
export { ORGANIZATION_EVENTS, type OrganizationEventData } from './organization-events';
