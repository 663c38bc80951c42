import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { IsOptionalNonNull, Trim } from '@portico/core';
import { readCertificate } from '../certificates';

export const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
];

/** An https URL (plain http only for localhost, for a development IdP), without credentials. */
export function isIdpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    const url = new URL(value);
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    return (url.protocol === 'https:' || (url.protocol === 'http:' && local)) && !url.username && !url.password;
  } catch {
    return false;
  }
}

function IsIdpUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIdpUrl',
      validator: { validate: isIdpUrl, defaultMessage: () => '$property must be an https:// URL without credentials' },
    },
    options,
  );
}

/** Each entry must parse as exactly one X.509 certificate in PEM. */
function ArePemCertificates(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'arePemCertificates',
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string' && pemProblem(v) === null),
        defaultMessage: (args) => {
          const list = Array.isArray(args?.value) ? (args.value as unknown[]) : [];
          const i = list.findIndex((v) => typeof v !== 'string' || pemProblem(v) !== null);
          const why = typeof list[i] === 'string' ? pemProblem(list[i] as string) : 'is not text';
          return `${args?.property}[${i}] ${why}`;
        },
      },
    },
    options,
  );
}

function pemProblem(pem: string): string | null {
  if (pem.length > 16_384) return 'is longer than 16384 characters';
  try {
    readCertificate(pem);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export class SamlAttributeMappingDto {
  @ApiPropertyOptional({ default: 'email', description: 'Attribute with the email (else the NameID, when it is an email)' })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  email?: string;

  @ApiPropertyOptional({ default: 'name' })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  firstName?: string;

  @ApiPropertyOptional({ default: 'surname' })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  lastName?: string;

  @ApiPropertyOptional({ default: 'group_uid', description: "The group's uid: the organization's externalUid" })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  groupUid?: string;

  @ApiPropertyOptional({ default: 'group_name', description: 'Name for an organization created just in time' })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  groupName?: string;

  @ApiPropertyOptional({
    default: 'group_role',
    description: 'Role in the group: owner / super admin → owner; admin / administrator / power user → admin; else member',
  })
  @IsOptionalNonNull()
  @Trim()
  @IsString()
  @Length(1, 255)
  groupRole?: string;
}

/** PUT /api/v1/tenants/{key}/saml: fields left out keep their value. */
export class PutSamlConnectionDto {
  @ApiPropertyOptional({ nullable: true, type: String, example: 'https://idp.example.com/metadata' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Trim()
  @IsString()
  @Length(1, 1024)
  idpEntityId?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, example: 'https://idp.example.com/sso', description: 'HTTP-Redirect SSO URL' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsIdpUrl()
  idpSsoUrl?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'PEM certificates; several at once while the IdP rotates its key' })
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMaxSize(5)
  @ArePemCertificates()
  idpCertificates?: string[];

  @ApiPropertyOptional({ default: true, description: 'Create users, organizations and memberships at sign-in' })
  @IsOptionalNonNull()
  @IsBoolean()
  jitProvisioning?: boolean;

  @ApiPropertyOptional({ nullable: true, type: String, format: 'uuid', description: 'Joined when the IdP sends no group' })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsUUID(undefined, { message: 'defaultOrganizationId must be a UUID' })
  defaultOrganizationId?: string | null;

  @ApiPropertyOptional({ type: SamlAttributeMappingDto })
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => SamlAttributeMappingDto)
  attributeMapping?: SamlAttributeMappingDto;

  @ApiPropertyOptional({ default: false, description: 'Needs idpEntityId, idpSsoUrl and at least one certificate' })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Accept responses without InResponseTo (sign-in started at the IdP)' })
  @IsOptionalNonNull()
  @IsBoolean()
  allowIdpInitiated?: boolean;

  @ApiPropertyOptional({ default: 120, minimum: 0, maximum: 600, description: 'Clock skew accepted on validity windows' })
  @IsOptionalNonNull()
  @IsInt()
  @Min(0)
  @Max(600)
  clockSkewSeconds?: number;

  @ApiPropertyOptional({ enum: NAME_ID_FORMATS, default: NAME_ID_FORMATS[0] })
  @IsOptionalNonNull()
  @IsIn(NAME_ID_FORMATS)
  nameIdFormat?: string;
}

/** POST /api/v1/tenants/{key}/saml/import-metadata: the IdP's metadata pasted, or fetched from a URL. */
export class ImportIdpMetadataDto {
  @ApiPropertyOptional({ description: 'The IdP metadata XML (EntityDescriptor)' })
  @IsOptionalNonNull()
  @IsString()
  @Length(1, 200_000)
  xml?: string;

  @ApiPropertyOptional({ example: 'https://idp.example.com/metadata', description: 'Fetched once, through the outbound URL guard' })
  @IsOptionalNonNull()
  @ValidateBy({
    name: 'isMetadataUrl',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && v.length <= 2048 && /^https?:\/\//.test(v) && URL.canParse(v),
      defaultMessage: () => 'url must be an http(s) URL',
    },
  })
  url?: string;

  @ApiPropertyOptional({ default: false, description: 'Allow a loopback or private address (and plain http) for url on purpose' })
  @IsOptionalNonNull()
  @IsBoolean()
  allowPrivateNetwork?: boolean;
}

export class CertificateView {
  @ApiProperty() subject: string;
  @ApiProperty() notBefore: Date;
  @ApiProperty() notAfter: Date;
  @ApiProperty({ description: 'SHA-256, hex with colons' }) fingerprintSha256: string;
  @ApiProperty({ description: 'Expires within 30 days (or has expired)' }) expiresSoon: boolean;
}

export class SamlAttributeMappingView {
  @ApiProperty() email: string;
  @ApiProperty() firstName: string;
  @ApiProperty() lastName: string;
  @ApiProperty() groupUid: string;
  @ApiProperty() groupName: string;
  @ApiProperty() groupRole: string;
}

export class SamlConnectionView {
  @ApiProperty() tenantKey: string;
  @ApiProperty({ nullable: true, type: String }) idpEntityId: string | null;
  @ApiProperty({ nullable: true, type: String }) idpSsoUrl: string | null;
  @ApiProperty({ type: [String] }) idpCertificates: string[];
  @ApiProperty({ type: [CertificateView] }) idpCertificateDetails: CertificateView[];
  @ApiProperty({ nullable: true, type: String, description: 'Where the IdP metadata was last fetched from' }) idpMetadataUrl: string | null;
  @ApiProperty() jitProvisioning: boolean;
  @ApiProperty({ nullable: true, type: String }) defaultOrganizationId: string | null;
  @ApiProperty({ type: SamlAttributeMappingView }) attributeMapping: SamlAttributeMappingView;
  @ApiProperty() enabled: boolean;
  @ApiProperty() allowIdpInitiated: boolean;
  @ApiProperty() clockSkewSeconds: number;
  @ApiProperty() nameIdFormat: string;
  @ApiProperty({ description: 'Portico’s entity id for this tenant (also its metadata URL)' }) spEntityId: string;
  @ApiProperty() acsUrl: string;
  @ApiProperty() spMetadataUrl: string;
  @ApiProperty({ description: 'Where a sign-in starts: GET, optional ?next=/path' }) initUrl: string;
  @ApiProperty({ description: 'Portico’s SP signing certificate (PEM)' }) spCertificate: string;
  @ApiProperty({ type: CertificateView }) spCertificateDetails: CertificateView;
  @ApiProperty({ nullable: true, type: String, description: 'The certificate before the last rotation, still in the metadata' })
  spPreviousCertificate: string | null;
  @ApiProperty({ description: 'idpEntityId, idpSsoUrl and a certificate are set' }) configured: boolean;
  @ApiProperty({ nullable: true, type: Date }) updatedAt: Date | null;
}
