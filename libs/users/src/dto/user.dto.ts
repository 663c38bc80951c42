import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength, ValidateIf } from 'class-validator';
import { IsOptionalNonNull, PageQueryDto, Trim, SingleLine } from '@portico/core';
import { MEMBERSHIP_ROLES, type MembershipRole } from '../entities/membership.entity';
import type { UserStatus } from '../entities/user.entity';
import { IsAcceptablePassword, PASSWORD_MAX, PASSWORD_MIN } from '../password-policy';

export class CreateUserDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Trim()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email: string;

  @ApiPropertyOptional({ description: 'Defaults to the email', example: 'ada' })
  @IsOptional()
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 320)
  username?: string;

  @ApiPropertyOptional({ example: 'Ada' })
  @IsOptional()
  @SingleLine()
  @IsString()
  @MaxLength(100)
  firstName?: string;

  @ApiPropertyOptional({ example: 'Lovelace' })
  @IsOptional()
  @SingleLine()
  @IsString()
  @MaxLength(100)
  lastName?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    description: 'Optional: without one the user signs in another way (SSO, provider)',
  })
  @IsOptional()
  @IsAcceptablePassword()
  password?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  billable?: boolean;

  @ApiPropertyOptional({ enum: ['active', 'disabled'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'disabled'])
  status?: UserStatus;

  @ApiPropertyOptional({ description: "The tenant's own id for this user" })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  externalUid?: string;

  @ApiPropertyOptional({ description: 'Platform admins only: the tenant the user belongs to' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Also make the user a member of this organization' })
  @IsOptional()
  @IsUUID(undefined, { message: 'organizationId must be a UUID' })
  organizationId?: string;

  @ApiPropertyOptional({ enum: MEMBERSHIP_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(MEMBERSHIP_ROLES)
  role?: MembershipRole;

  @ApiPropertyOptional({
    default: true,
    description: 'false: the address is not known to be theirs (with emailVerification required they sign in once it is verified)',
  })
  @IsOptional()
  @IsBoolean({ message: 'emailVerified must be true or false' })
  emailVerified?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'Platform admin callers only (a tenant key gets 403): the user administers all of Portico in the console and needs a password; no tenantKey',
  })
  @IsOptional()
  @IsBoolean({ message: 'isPlatformAdmin must be true or false' })
  isPlatformAdmin?: boolean;
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 320)
  username?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @SingleLine()
  @IsString()
  @MaxLength(100)
  firstName?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @SingleLine()
  @IsString()
  @MaxLength(100)
  lastName?: string;

  @ApiPropertyOptional({ writeOnly: true, minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsOptionalNonNull()
  @IsAcceptablePassword()
  password?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  billable?: boolean;

  @ApiPropertyOptional({ enum: ['active', 'disabled'] })
  @IsOptionalNonNull()
  @IsIn(['active', 'disabled'])
  status?: UserStatus;

  @ApiPropertyOptional({ nullable: true, type: String })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsString()
  @Length(1, 255)
  externalUid?: string | null;

  @ApiPropertyOptional({ description: 'Whether the address is known to be theirs' })
  @IsOptionalNonNull()
  @IsBoolean({ message: 'emailVerified must be true or false' })
  emailVerified?: boolean;

  @ApiPropertyOptional({
    description: 'Platform admin callers only: promote a user without a tenant, or demote one (never the last active administrator: 409)',
  })
  @IsOptionalNonNull()
  @IsBoolean({ message: 'isPlatformAdmin must be true or false' })
  isPlatformAdmin?: boolean;
}

export class SetBillableDto {
  @ApiProperty({ example: true })
  @IsBoolean({ message: 'billable must be true or false' })
  billable: boolean;
}

export class UserQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Exact email, case-insensitive' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ description: 'Part of the email, username or name' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only members of this organization' })
  @IsOptional()
  @IsUUID(undefined, { message: 'organizationId must be a UUID' })
  organizationId?: string;

  @ApiPropertyOptional({ description: 'Platform admins: only this tenant' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'billable must be true or false' })
  billable?: boolean;
}

export class UserView {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) tenantKey: string | null;
  @ApiProperty() email: string;
  @ApiProperty() username: string;
  @ApiProperty() firstName: string;
  @ApiProperty() lastName: string;
  @ApiProperty() billable: boolean;
  @ApiProperty({ enum: ['active', 'disabled'] }) status: UserStatus;
  @ApiProperty({ nullable: true, type: String }) externalUid: string | null;
  @ApiProperty() authenticatorEnabled: boolean;
  @ApiProperty({ description: 'The person proved the address is theirs (or nobody asked them to)' }) emailVerified: boolean;
  @ApiProperty() isPlatformAdmin: boolean;
  @ApiProperty() createdVia: string;
  // ISO 8601 text, as JSON writes a date: a view made of strings serialises about three times faster.
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class AddMemberDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID(undefined, { message: 'userId must be a UUID' })
  userId: string;

  @ApiPropertyOptional({ enum: MEMBERSHIP_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(MEMBERSHIP_ROLES)
  role?: MembershipRole;
}

export class SetMemberRoleDto {
  @ApiProperty({ enum: MEMBERSHIP_ROLES })
  @IsIn(MEMBERSHIP_ROLES)
  role: MembershipRole;
}

export class MemberView {
  @ApiProperty() userId: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() email: string;
  @ApiProperty() firstName: string;
  @ApiProperty() lastName: string;
  @ApiProperty({ enum: MEMBERSHIP_ROLES }) role: MembershipRole;
  @ApiProperty() createdAt: Date;
}
