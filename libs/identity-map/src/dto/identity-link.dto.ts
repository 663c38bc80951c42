import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { PageQueryDto } from '@portico/core';
import { LINKED_ENTITY_TYPES, type LinkedEntityType } from '../entities/identity-link.entity';

export const PROVIDER_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const PROVIDER_RULE = 'provider must be 1 to 64 lower-case letters, digits, dots, dashes or underscores (e.g. portal, saml, crm)';
const ENTITY_RULE = `entityType must be one of: ${LINKED_ENTITY_TYPES.join(', ')}`;

export class IdentityLinkQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'portal' })
  @IsOptional()
  @IsString()
  @Matches(PROVIDER_PATTERN, { message: PROVIDER_RULE })
  provider?: string;

  @ApiPropertyOptional({ enum: LINKED_ENTITY_TYPES })
  @IsOptional()
  @IsIn(LINKED_ENTITY_TYPES, { message: ENTITY_RULE })
  entityType?: LinkedEntityType;

  @ApiPropertyOptional({ format: 'uuid', description: 'The Portico record' })
  @IsOptional()
  @IsUUID(undefined, { message: 'localId must be a UUID' })
  localId?: string;

  @ApiPropertyOptional({ description: "The tenant's own id, exactly" })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  foreignId?: string;

  @ApiPropertyOptional({ description: 'Platform admins only: the tenant whose links to list' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

/** One link, named by its natural key (for DELETE /api/v1/identity-links?provider=…&entityType=…&foreignId=…). */
export class IdentityLinkKeyDto {
  @ApiProperty({ example: 'portal' })
  @IsString()
  @Matches(PROVIDER_PATTERN, { message: PROVIDER_RULE })
  provider: string;

  @ApiProperty({ enum: LINKED_ENTITY_TYPES })
  @IsIn(LINKED_ENTITY_TYPES, { message: ENTITY_RULE })
  entityType: LinkedEntityType;

  @ApiProperty({ description: "The tenant's own id, exactly" })
  @IsString()
  @Length(1, 255)
  foreignId: string;

  @ApiPropertyOptional({ description: 'Platform admins only: the tenant the link belongs to' })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  tenantKey?: string;
}

export class CreateIdentityLinkDto extends IdentityLinkKeyDto {
  @ApiProperty({ format: 'uuid', description: 'A user or organization of the same tenant' })
  @IsUUID(undefined, { message: 'localId must be a UUID' })
  localId: string;
}

export class IdentityLinkView {
  @ApiProperty() id: string;
  @ApiProperty() tenantKey: string;
  @ApiProperty() provider: string;
  @ApiProperty({ enum: LINKED_ENTITY_TYPES }) entityType: LinkedEntityType;
  @ApiProperty() localId: string;
  @ApiProperty() foreignId: string;
  @ApiProperty() createdAt: Date;
}
