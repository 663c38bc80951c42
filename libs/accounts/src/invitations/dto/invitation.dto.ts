import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, MaxLength } from 'class-validator';
import { PageQueryDto, Trim } from '@portico/core';
import type { InvitationRole, InvitationStatus } from '../entities/invitation.entity';

export const INVITATION_ROLES: InvitationRole[] = ['owner', 'admin', 'member'];
export const INVITATION_STATUSES: InvitationStatus[] = ['pending', 'accepted', 'revoked', 'expired'];

export class CreateInvitationDto {
  @ApiProperty({ example: 'new.colleague@example.com' })
  @Trim()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email: string;

  @ApiPropertyOptional({ enum: INVITATION_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(INVITATION_ROLES, { message: 'role must be one of owner, admin, member' })
  role?: InvitationRole;
}

export class InvitationQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: INVITATION_STATUSES, description: 'Only invitations in this state (default: all)' })
  @IsOptional()
  @IsIn(INVITATION_STATUSES, { message: 'status must be one of pending, accepted, revoked, expired' })
  status?: InvitationStatus;
}

export class InvitationView {
  @ApiProperty() id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: INVITATION_ROLES }) role: InvitationRole;
  @ApiProperty({ enum: INVITATION_STATUSES, description: 'pending until accepted, revoked or past expiresAt' })
  status: InvitationStatus;
  @ApiProperty({ description: 'Who invited: a person’s address, a tenant key or an API token' }) invitedBy: string;
  @ApiProperty() expiresAt: Date;
  @ApiProperty({ nullable: true, type: Date }) acceptedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) revokedAt: Date | null;
  @ApiProperty() createdAt: Date;
}
