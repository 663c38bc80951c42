import { IsEmail, MaxLength } from 'class-validator';
import { Trim } from '@portico/core';

/** The new address typed on /account/email. */
export class EmailChangeDto {
  @Trim()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email: string;
}
