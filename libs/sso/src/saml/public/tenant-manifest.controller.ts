import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AppConfig, Ctx, projectRoot, RequestContext, TenantKeyed } from '@portico/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SamlConnections } from '../saml-connections';
import { SamlService } from '../saml.service';
// The API version the manifest announces: Portico's own, read once.
const version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;

class ManifestSso {
  @ApiProperty() enabled: boolean;
  @ApiProperty({ example: '/t/acme/saml/init' }) init_path: string;
  @ApiProperty({ example: '/t/acme/saml/consume' }) consume_path: string;
  @ApiProperty({ example: '/t/acme/saml/metadata' }) metadata_path: string;
  @ApiProperty({ example: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' }) name_id_format: string;
  @ApiProperty({ nullable: true, type: String, description: "The tenant's IdP certificate Portico trusts (PEM)" }) x509_certificate:
    string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '01:06:15:89:25:7d:78:12:28:a6:69:c7:de:63:ed:74:21:f9:f5:36',
    description: 'SHA-1',
  })
  x509_fingerprint: string | null;
}

/** The manifest a tenant's portal fetches to discover Portico's configuration (product.md §5). */
export class TenantManifest {
  @ApiProperty({ example: 'production' }) environment: string;
  @ApiProperty({ example: { host: 'https://portico.example.com' } }) app: { host: string };
  @ApiProperty({ example: { id: 'tk_…', version: '0.1.0', host: 'https://portico.example.com', base: '/api/v1/' } })
  api: { id: string; version: string; host: string; base: string };
  @ApiProperty({ type: ManifestSso }) sso: ManifestSso;
  @ApiProperty({
    example: {
      account: { groups_path: '/t/acme/account/groups/:id', group_users_path: '/t/acme/account/groups/:group_id/users/:id' },
      data: { notifications_path: '/t/acme/data/notifications' },
    },
  })
  webhook: { account: { groups_path: string; group_users_path: string }; data: { notifications_path: string } };
}

@ApiTags('tenant-keyed')
@TenantKeyed()
@Controller('t/:tenantKey/metadata')
export class TenantManifestController {
  constructor(
    private readonly config: AppConfig,
    private readonly saml: SamlService,
    private readonly connections: SamlConnections,
  ) {}

  @Get()
  @ApiOperation({
    summary: "Get a tenant's manifest",
    description: "Portico's hosts, API, SSO and webhook paths (only that tenant's API key)",
  })
  @ApiOkResponse({ type: TenantManifest })
  async get(@Ctx() ctx: RequestContext, @Param('tenantKey') key: string): Promise<TenantManifest> {
    const tenant = await this.connections.tenantOrFail(key);
    const sso = await this.saml.manifestFacts(tenant);
    const publicUrl = new URL(this.config.publicUrl);
    // Paths are relative to app.host and keep PUBLIC_URL's own path, if Portico is served below one.
    const prefix = publicUrl.pathname.replace(/\/+$/, '');
    const t = `${prefix}/t/${encodeURIComponent(tenant.key)}`;
    return {
      environment: this.config.nodeEnv,
      app: { host: publicUrl.origin },
      api: { id: ctx.actor.id, version, host: publicUrl.origin, base: `${prefix}/api/v1/` },
      sso: {
        enabled: sso.enabled,
        init_path: `${t}/saml/init`,
        consume_path: `${t}/saml/consume`,
        metadata_path: `${t}/saml/metadata`,
        name_id_format: sso.nameIdFormat,
        x509_certificate: sso.idpCertificate,
        x509_fingerprint: sso.idpFingerprint,
      },
      webhook: {
        account: { groups_path: `${t}/account/groups/:id`, group_users_path: `${t}/account/groups/:group_id/users/:id` },
        data: { notifications_path: `${t}/data/notifications` },
      },
    };
  }
}
