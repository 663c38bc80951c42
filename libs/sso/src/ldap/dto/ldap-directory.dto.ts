import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsString, Length, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { IsOptionalNonNull, Trim } from '@portico/core';
import { DIRECTORY_ROLES, LDAP_PRESETS, type DirectoryRole, type LdapPreset } from '../config/presets';

export const TIMEOUT_MIN_MS = 500;
export const TIMEOUT_MAX_MS = 60_000;
const nullable = () => ValidateIf((_o, v) => v !== null && v !== undefined);

const MAPPING_EXAMPLE = { 'cn=portal-admins,ou=groups,dc=example,dc=org': 'admin', 'cn=staff,ou=groups,dc=example,dc=org': 'member' };

export class AttributeMappingDto {
  @ApiPropertyOptional({ example: 'uid', description: 'The name a person types (OpenLDAP uid, AD sAMAccountName)' })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 64)
  username?: string;

  @ApiPropertyOptional({ example: 'mail' })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 64)
  email?: string;

  @ApiPropertyOptional({ example: 'givenName' })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 64)
  firstName?: string;

  @ApiPropertyOptional({ example: 'sn' })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 64)
  lastName?: string;

  @ApiPropertyOptional({ example: 'memberOf', nullable: true, type: String, description: 'An attribute listing the group DNs; null: none' })
  @nullable()
  @IsString()
  @Length(1, 64)
  groups?: string | null;
}

export class CreateLdapDirectoryDto {
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'acme',
    description: 'The tenant whose users it serves; null or absent: global (direct users)',
  })
  @nullable()
  @IsString()
  @Length(1, 63)
  tenantKey?: string | null;

  @ApiProperty({ example: 'Acme directory' })
  @Trim()
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: 'ldaps://ldap.acme.example:636', description: 'ldap:// (with startTls) or ldaps://' })
  @Trim()
  @IsString()
  @Length(1, 2048)
  url: string;

  @ApiPropertyOptional({
    enum: LDAP_PRESETS,
    default: 'openldap',
    description: 'Fills searchFilter, attributeMapping and groupSearchFilter when they are left out',
  })
  @IsOptionalNonNull()
  @IsIn(LDAP_PRESETS, { message: `preset must be one of ${LDAP_PRESETS.join(', ')}` })
  preset?: LdapPreset;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'cn=portico,ou=services,dc=acme,dc=example',
    description: 'Service account for searches; null: anonymous',
  })
  @nullable()
  @Trim()
  @IsString()
  @Length(1, 1024)
  bindDn?: string | null;

  @ApiPropertyOptional({
    writeOnly: true,
    nullable: true,
    type: String,
    description: 'The service account’s password; write-only (bindPasswordSet says one is stored)',
  })
  @nullable()
  @IsString()
  @Length(1, 1024)
  bindPassword?: string | null;

  @ApiProperty({ example: 'ou=people,dc=acme,dc=example' })
  @Trim()
  @IsString()
  @Length(1, 1024)
  searchBase: string;

  @ApiPropertyOptional({
    example: '(&(objectClass=inetOrgPerson)(uid={{username}}))',
    description: 'RFC 4515 filter; {{username}} is replaced by the escaped login',
  })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 1024)
  searchFilter?: string;

  @ApiPropertyOptional({ default: false, description: 'Upgrade an ldap:// connection with StartTLS before anything is sent' })
  @IsOptionalNonNull()
  @IsBoolean()
  startTls?: boolean;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'PEM CA certificate(s) the server’s certificate must chain to, instead of the system CAs',
  })
  @nullable()
  @IsString()
  @MaxLength(100_000)
  caCertificate?: string | null;

  @ApiPropertyOptional({ type: AttributeMappingDto, description: 'Attributes left out take the preset’s' })
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => AttributeMappingDto)
  attributeMapping?: AttributeMappingDto;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Where groups are searched; null: searchBase' })
  @nullable()
  @Trim()
  @IsString()
  @Length(1, 1024)
  groupSearchBase?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: '(&(objectClass=groupOfNames)(member={{dn}}))',
    description: 'Finds the user’s groups ({{dn}}: the user’s DN); null: only the groups attribute',
  })
  @nullable()
  @Trim()
  @IsString()
  @Length(1, 1024)
  groupSearchFilter?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: DIRECTORY_ROLES },
    example: MAPPING_EXAMPLE,
    description:
      'Group DN → role in the organization of the directory’s tenant whose externalUid is the group DN or its first RDN value (cn)',
  })
  @IsOptionalNonNull()
  @IsObject({ message: 'groupRoleMapping must be an object {groupDn: role}' })
  groupRoleMapping?: Record<string, DirectoryRole>;

  @ApiPropertyOptional({ default: false, description: 'Create the Portico user on the first successful sign-in' })
  @IsOptionalNonNull()
  @IsBoolean()
  jitProvisioning?: boolean;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    default: 5000,
    minimum: TIMEOUT_MIN_MS,
    maximum: TIMEOUT_MAX_MS,
    description: 'Bounds one sign-in’s whole exchange with the directory',
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(TIMEOUT_MIN_MS)
  @Max(TIMEOUT_MAX_MS)
  timeoutMs?: number;
}

/** Fields left out keep their value; a changed preset refills the fields it governs unless they are given too. */
export class UpdateLdapDirectoryDto {
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Cannot change: create a new directory for another tenant' })
  @nullable()
  @IsString()
  @Length(1, 63)
  tenantKey?: string | null;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 2048)
  url?: string;

  @ApiPropertyOptional({ enum: LDAP_PRESETS })
  @IsOptionalNonNull()
  @IsIn(LDAP_PRESETS, { message: `preset must be one of ${LDAP_PRESETS.join(', ')}` })
  preset?: LdapPreset;

  @ApiPropertyOptional({ nullable: true, type: String })
  @nullable()
  @Trim()
  @IsString()
  @Length(1, 1024)
  bindDn?: string | null;

  @ApiPropertyOptional({ writeOnly: true, nullable: true, type: String, description: 'Left out: kept; null: removed' })
  @nullable()
  @IsString()
  @Length(1, 1024)
  bindPassword?: string | null;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 1024)
  searchBase?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 1024)
  searchFilter?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  startTls?: boolean;

  @ApiPropertyOptional({ nullable: true, type: String })
  @nullable()
  @IsString()
  @MaxLength(100_000)
  caCertificate?: string | null;

  @ApiPropertyOptional({ type: AttributeMappingDto })
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => AttributeMappingDto)
  attributeMapping?: AttributeMappingDto;

  @ApiPropertyOptional({ nullable: true, type: String })
  @nullable()
  @Trim()
  @IsString()
  @Length(1, 1024)
  groupSearchBase?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String })
  @nullable()
  @Trim()
  @IsString()
  @Length(1, 1024)
  groupSearchFilter?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', enum: DIRECTORY_ROLES }, example: MAPPING_EXAMPLE })
  @IsOptionalNonNull()
  @IsObject({ message: 'groupRoleMapping must be an object {groupDn: role}' })
  groupRoleMapping?: Record<string, DirectoryRole>;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  jitProvisioning?: boolean;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ minimum: TIMEOUT_MIN_MS, maximum: TIMEOUT_MAX_MS })
  @IsOptionalNonNull()
  @IsInt()
  @Min(TIMEOUT_MIN_MS)
  @Max(TIMEOUT_MAX_MS)
  timeoutMs?: number;
}

export class AttributeMappingView {
  @ApiProperty() username: string;
  @ApiProperty() email: string;
  @ApiProperty() firstName: string;
  @ApiProperty() lastName: string;
  @ApiProperty({ nullable: true, type: String }) groups: string | null;
}

export class LdapDirectoryView {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String, description: 'null: a global directory (direct users)' }) tenantKey: string | null;
  @ApiProperty() name: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: LDAP_PRESETS }) preset: LdapPreset;
  @ApiProperty({ nullable: true, type: String }) bindDn: string | null;
  @ApiProperty({ description: 'A bind password is stored (it is never returned)' }) bindPasswordSet: boolean;
  @ApiProperty() searchBase: string;
  @ApiProperty() searchFilter: string;
  @ApiProperty() startTls: boolean;
  @ApiProperty({ nullable: true, type: String }) caCertificate: string | null;
  @ApiProperty({ type: AttributeMappingView }) attributeMapping: AttributeMappingView;
  @ApiProperty({ nullable: true, type: String }) groupSearchBase: string | null;
  @ApiProperty({ nullable: true, type: String }) groupSearchFilter: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: DIRECTORY_ROLES } }) groupRoleMapping: Record<
    string,
    DirectoryRole
  >;
  @ApiProperty() jitProvisioning: boolean;
  @ApiProperty() enabled: boolean;
  @ApiProperty() timeoutMs: number;
  @ApiProperty({ description: 'Portico users this directory checks (linked on their first sign-in)' }) linkedUsers: number;
  @ApiProperty({ enum: ['ldaps', 'starttls', 'plain'], description: 'plain: passwords cross the network unencrypted' }) transport:
    'ldaps' | 'starttls' | 'plain';
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class TestLdapDirectoryDto {
  @ApiProperty({ example: 'ada', description: 'Searched with searchFilter, as a sign-in would' })
  @Trim()
  @IsString()
  @Length(1, 320)
  username: string;

  @ApiPropertyOptional({ writeOnly: true, description: 'Also bind as the user with it; never stored or logged. Left out: search only' })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 1024, { message: 'password must not be empty (leave it out to search only)' })
  password?: string;
}

export class TestMappedAttributesView {
  @ApiProperty({ nullable: true, type: String }) username: string | null;
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty({ nullable: true, type: String }) firstName: string | null;
  @ApiProperty({ nullable: true, type: String }) lastName: string | null;
}

export class TestOrganizationView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() siteId: number;
}

export class TestMembershipView {
  @ApiProperty() groupDn: string;
  @ApiProperty({ enum: DIRECTORY_ROLES }) role: DirectoryRole;
  @ApiProperty({ nullable: true, type: TestOrganizationView, description: 'null: no organization of the tenant stands for this group' })
  organization: TestOrganizationView | null;
}

export class LdapTestResultView {
  @ApiProperty({
    enum: ['authenticated', 'found', 'wrong-password', 'not-found', 'failed'],
    description: 'found: the search found the user (no password given); failed: no answer from the directory',
  })
  outcome: 'authenticated' | 'found' | 'wrong-password' | 'not-found' | 'failed';
  @ApiProperty({ description: 'What happened, in words' }) message: string;
  @ApiProperty({ nullable: true, type: String, description: 'failed: connect, tls, timeout, service-bind, search, ambiguous' })
  failure: string | null;
  @ApiProperty({ nullable: true, type: String }) dn: string | null;
  @ApiProperty({ nullable: true, type: TestMappedAttributesView }) attributes: TestMappedAttributesView | null;
  @ApiProperty({ type: [String] }) groups: string[];
  @ApiProperty({ type: [TestMembershipView], description: 'What groupRoleMapping would grant; nothing is created' })
  memberships: TestMembershipView[];
  @ApiProperty() durationMs: number;
}
