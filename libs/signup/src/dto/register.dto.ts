import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SingleLine, Trim } from '@portico/core';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsAcceptablePassword, PASSWORD_MAX, PASSWORD_MIN } from '@portico/users';

/** The sign-up form and POST /api/auth/register share these fields and rules. */
export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Trim()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'Ada' })
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 100, { message: 'firstName must be between 1 and 100 characters' })
  firstName: string;

  @ApiProperty({ example: 'Lovelace' })
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 100, { message: 'lastName must be between 1 and 100 characters' })
  lastName: string;

  @ApiProperty({ example: 'Analytical Engines Ltd' })
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 200, { message: 'organizationName must be between 1 and 200 characters' })
  organizationName: string;

  @ApiProperty({ writeOnly: true, minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsAcceptablePassword()
  password: string;

  @ApiPropertyOptional({
    example: 'usr-8d2f',
    description: "With a tenant API key: the portal's own id for the user, recorded in the identity map",
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  userUid?: string;

  @ApiPropertyOptional({ example: 'cld-94kf', description: "With a tenant API key: the portal's own id for the organization (group uid)" })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  groupUid?: string;
}

export class RegisteredView {
  @ApiProperty() userId: string;
  @ApiProperty() organizationId: string;
}
