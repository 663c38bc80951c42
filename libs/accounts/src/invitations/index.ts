export * from './invitations.module';
export * from './invitations.service';
export * from './dto/invitation.dto';
export { Invitation } from './entities/invitation.entity';
export type { InvitationRole, InvitationStatus } from './entities/invitation.entity';
