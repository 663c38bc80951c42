import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { IsOptionalNonNull } from '@portico/core';
import { TenantIntegrationView, UpdateTenantIntegrationDto } from '@portico/tenants';
import { EMAIL_VERIFICATION_MODES, type EmailVerificationMode } from '../entities/tenant-auth-settings.entity';

export class MethodsDto {
  @ApiProperty() @IsBoolean() password: boolean;
  @ApiProperty() @IsBoolean() saml: boolean;
  @ApiProperty() @IsBoolean() ldap: boolean;
  @ApiProperty() @IsBoolean() external: boolean;
  // Optional so callers written before OpenID Connect sign-in keep working: left out, it stays as it was.
  @ApiPropertyOptional({ description: "Tenant OpenID Connect sign-in (left out: unchanged, or off in a tenant's own methods)" })
  @IsOptionalNonNull()
  @IsBoolean()
  oidc?: boolean;
}

export class MethodsView {
  @ApiProperty() password: boolean;
  @ApiProperty() saml: boolean;
  @ApiProperty() ldap: boolean;
  @ApiProperty() external: boolean;
  @ApiProperty() oidc: boolean;
}

// Fields may be left out; an explicit null is refused (it would reach NOT NULL columns).
export class LockoutDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, description: 'Wrong passwords before a temporary lockout' })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1)
  @Max(100)
  maxPasswordFailures?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, description: 'Wrong authenticator codes before a temporary lockout' })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1)
  @Max(100)
  maxAuthenticatorFailures?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 86_400, description: 'First lockout; each further one doubles, up to maxWaitSeconds' })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1)
  @Max(86_400)
  baseWaitSeconds?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 86_400 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1)
  @Max(86_400)
  maxWaitSeconds?: number;
}

export class PasswordPolicyDto {
  @ApiPropertyOptional({ minimum: 8, maximum: 128, default: 8, description: 'Shortest password accepted, in characters' })
  @IsOptionalNonNull()
  @IsInt()
  @Min(8)
  @Max(128)
  minLength?: number;

  @ApiPropertyOptional({ default: true, description: 'Refuse the 10,000 most common passwords' })
  @IsOptionalNonNull()
  @IsBoolean()
  disallowCommon?: boolean;
}

export class UpdateAuthSettingsDto {
  @ApiPropertyOptional({ type: MethodsDto })
  @IsOptionalNonNull()
  @ValidateNested()
  @Type(() => MethodsDto)
  methods?: MethodsDto;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  signupEnabled?: boolean;

  @ApiPropertyOptional({ minimum: 5, maximum: 1440 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(5)
  @Max(1440)
  sessionIdleMinutes?: number;

  @ApiPropertyOptional({ type: LockoutDto })
  @IsOptionalNonNull()
  @ValidateNested()
  @Type(() => LockoutDto)
  lockout?: LockoutDto;

  @ApiPropertyOptional({
    enum: EMAIL_VERIFICATION_MODES,
    description: 'required: a new account signs in once it has followed the mailed link',
  })
  @IsOptionalNonNull()
  @IsIn(EMAIL_VERIFICATION_MODES, { message: 'emailVerification must be off or required' })
  emailVerification?: EmailVerificationMode;

  @ApiPropertyOptional({ type: PasswordPolicyDto })
  @IsOptionalNonNull()
  @ValidateNested()
  @Type(() => PasswordPolicyDto)
  passwordPolicy?: PasswordPolicyDto;

  @ApiPropertyOptional({ description: 'Platform admins without an authenticator app must set one up at their next console sign-in' })
  @IsOptionalNonNull()
  @IsBoolean()
  requireAuthenticatorForAdmins?: boolean;
}

export class LockoutView {
  @ApiProperty() maxPasswordFailures: number;
  @ApiProperty() maxAuthenticatorFailures: number;
  @ApiProperty() baseWaitSeconds: number;
  @ApiProperty() maxWaitSeconds: number;
}

export class PasswordPolicyView {
  @ApiProperty() minLength: number;
  @ApiProperty() disallowCommon: boolean;
}

export class AuthSettingsView {
  @ApiProperty({ type: MethodsView }) methods: MethodsView;
  @ApiProperty() signupEnabled: boolean;
  @ApiProperty() sessionIdleMinutes: number;
  @ApiProperty({ type: LockoutView }) lockout: LockoutView;
  @ApiProperty({ enum: EMAIL_VERIFICATION_MODES }) emailVerification: EmailVerificationMode;
  @ApiProperty({ type: PasswordPolicyView }) passwordPolicy: PasswordPolicyView;
  @ApiProperty() requireAuthenticatorForAdmins: boolean;
}

/** Authentication overrides plus the portal wiring (embedding, billing API, data sharing). */
export class UpdateTenantSettingsDto extends UpdateTenantIntegrationDto {
  @ApiPropertyOptional({ nullable: true, type: Boolean, description: 'null: as globally set' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsBoolean()
  signupEnabled?: boolean | null;

  @ApiPropertyOptional({ nullable: true, type: MethodsDto, description: 'null: as globally set' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @ValidateNested()
  @Type(() => MethodsDto)
  methods?: MethodsDto | null;

  @ApiPropertyOptional({ nullable: true, enum: EMAIL_VERIFICATION_MODES, description: 'null: as globally set' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsIn(EMAIL_VERIFICATION_MODES, { message: 'emailVerification must be off, required or null' })
  emailVerification?: EmailVerificationMode | null;
}

export class TenantSettingsView extends TenantIntegrationView {
  @ApiProperty({ nullable: true, type: Boolean }) signupEnabled: boolean | null;
  @ApiProperty({ nullable: true, type: MethodsView }) methods: MethodsView | null;
  @ApiProperty({ nullable: true, enum: EMAIL_VERIFICATION_MODES }) emailVerification: EmailVerificationMode | null;
  @ApiProperty({ type: AuthSettingsView, description: 'What applies to this tenant after inheritance' }) effective: AuthSettingsView;
}
