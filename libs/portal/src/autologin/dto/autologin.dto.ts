import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Trim } from '@portico/core';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';

/** POST /api/auth/autologin: who to sign in, and the token that proves the portal may. */
export class AutologinDto {
  @ApiProperty({ example: 'jd@example.com', description: "The user's email address" })
  @Trim()
  @IsEmail({}, { message: 'login must be the user’s email address' })
  @MaxLength(320)
  login: string;

  @ApiProperty({ example: 'John' })
  @Trim()
  @IsString()
  @Length(1, 100, { message: 'firstName must be between 1 and 100 characters' })
  firstName: string;

  @ApiProperty({ example: 'Doe' })
  @Trim()
  @IsString()
  @Length(1, 100, { message: 'lastName must be between 1 and 100 characters' })
  lastName: string;

  @ApiProperty({
    writeOnly: true,
    description:
      'The tenant’s autologin secret, or a JWT signed with it: HS256, "iss" = tenant key, "exp" at most 5 minutes ahead, a single-use "jti", optional "sub" = login',
  })
  @IsString()
  @Length(1, 4096, { message: 'token must be the autologin secret or a JWT (at most 4096 characters)' })
  token: string;

  @ApiPropertyOptional({ example: 'Acme Tickets', description: 'Also make the user a member of this organization (created when missing)' })
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 200, { message: 'organizationName must be between 1 and 200 characters' })
  organizationName?: string;

  @ApiPropertyOptional({ example: 'usr-8d2f', description: "The portal's own id for the user, recorded in the identity map" })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  userUid?: string;

  @ApiPropertyOptional({ example: 'cld-94kf', description: "The portal's own id for the organization (group uid)" })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  groupUid?: string;

  @ApiPropertyOptional({
    example: 'acme-portal',
    description: 'Optional: the tenant, when the caller wants it checked; the token itself identifies its tenant',
  })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

export class AutologinView {
  @ApiProperty({ description: 'Redeem once, within 60 seconds, at loginUrl' }) sessionId: string;
  @ApiProperty({ example: 'https://portico.example.com/auth/session/…' }) loginUrl: string;
  @ApiProperty() expiresAt: string;
}

export class AutologinSecretView {
  @ApiProperty({ description: 'Shown once: Portico keeps only a hash and a sealed copy' }) secret: string;
}
