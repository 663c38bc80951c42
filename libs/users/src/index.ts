export * from './users.module';
export * from './users.service';
export * from './memberships.service';
export * from './user-credentials.service';
export * from './dto/user.dto';
export { User } from './entities/user.entity';
export { Membership } from './entities/membership.entity';
export type { MembershipRole } from './entities/membership.entity';
export * from './password-policy';
