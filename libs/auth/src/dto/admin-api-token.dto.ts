import { SingleLine, Trim } from '@portico/core';
import { IsString, Length } from 'class-validator';

export class CreateAdminApiTokenDto {
  @Trim()
  @SingleLine()
  @IsString()
  @Length(1, 100, { message: 'name must be 1 to 100 characters' })
  name: string;
}

/** An admin API token as the console lists it; never its secret or hash. */
export interface AdminApiTokenView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Registered from ADMIN_API_TOKEN at start: revoking it lasts until the next restart. */
  fromEnvironment: boolean;
}
