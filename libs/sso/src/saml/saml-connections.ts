import { Injectable } from '@nestjs/common';
import {
  AppConfig,
  AuditService,
  CryptoService,
  InvalidInputError,
  isUniqueViolation,
  NotFoundError,
  OutboundHttpService,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantRef, TenantsService } from '@portico/tenants';
import { CertificateInfo, expiresSoon, generateSpKeyPair, normalizePem, readCertificate } from './certificates';
import { CertificateView, ImportIdpMetadataDto, PutSamlConnectionDto, SamlConnectionView } from './dto/saml-connection.dto';
import type { SamlConnection } from './entities/saml-connection.entity';
import { DEFAULT_ATTRIBUTE_MAPPING } from './login/attribute-mapping';
import type { EngineSettings } from './login/saml-engine';
import { SamlRepository } from './saml.repository';
import { parseIdpMetadata } from './xml/idp-metadata';
import { XmlRefused } from './xml/xml-tree';

export interface SamlUrls {
  spEntityId: string;
  acsUrl: string;
  spMetadataUrl: string;
  initUrl: string;
}

/** An IdP certificate a tenant's SAML sign-in trusts that is about to expire (or has). */
export interface ExpiringIdpCertificate {
  tenantKey: string;
  subject: string;
  notAfter: Date;
}

/** Each tenant's SAML connection: its settings, Portico's SP key pair (made on first use) and the URLs. */
@Injectable()
export class SamlConnections {
  constructor(
    private readonly tx: TransactionService,
    private readonly repository: SamlRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly outbound: OutboundHttpService,
  ) {}

  urls(tenantKey: string): SamlUrls {
    const base = `${this.config.publicUrl}/t/${encodeURIComponent(tenantKey)}/saml`;
    return { spEntityId: `${base}/metadata`, acsUrl: `${base}/consume`, spMetadataUrl: `${base}/metadata`, initUrl: `${base}/init` };
  }

  async tenantOrFail(key: string): Promise<TenantRef> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant) throw new NotFoundError(`Tenant "${key}"`);
    return tenant;
  }

  async findTenant(key: string): Promise<TenantRef | null> {
    return this.tenants.findByKey(key);
  }

  /** The tenant's connection, made (with a fresh SP key pair, disabled) the first time anyone asks. */
  async ensure(tenant: TenantRef): Promise<SamlConnection> {
    const existing = await this.repository.connectionOf(tenant.id);
    if (existing) return existing;
    const { privateKeyPem, certificatePem } = generateSpKeyPair(`Portico SAML SP ${tenant.key}`);
    try {
      return await this.tx.run(() =>
        this.repository.insertConnection({
          tenantId: tenant.id,
          attributeMapping: { ...DEFAULT_ATTRIBUTE_MAPPING },
          spPrivateKeySealed: this.crypto.encrypt(privateKeyPem),
          spCertificate: certificatePem,
        }),
      );
    } catch (err) {
      // Two first requests at once: the other one's key pair won.
      if (isUniqueViolation(err)) return (await this.repository.connectionOf(tenant.id))!;
      throw err;
    }
  }

  /** IdP certificates of every tenant that expire before `before` (already expired ones too), soonest first. */
  async expiringCertificates(before: Date): Promise<ExpiringIdpCertificate[]> {
    const rows = await this.repository.allCertificates();
    const tenants = await this.tenants.findByIds(rows.map((r) => r.tenantId));
    const expiring: ExpiringIdpCertificate[] = [];
    for (const row of rows) {
      for (const pem of row.idpCertificates) {
        let info: CertificateInfo;
        try {
          info = readCertificate(pem);
        } catch {
          continue;
        }
        const tenantKey = tenants.get(row.tenantId)?.key;
        if (tenantKey && info.notAfter < before) expiring.push({ tenantKey, subject: info.subject, notAfter: info.notAfter });
      }
    }
    return expiring.sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
  }

  async find(tenantId: string): Promise<SamlConnection | null> {
    return this.repository.connectionOf(tenantId);
  }

  async view(key: string): Promise<SamlConnectionView> {
    const tenant = await this.tenantOrFail(key);
    return this.toView(tenant, await this.ensure(tenant));
  }

  async put(ctx: RequestContext, key: string, dto: PutSamlConnectionDto): Promise<SamlConnectionView> {
    const tenant = await this.tenantOrFail(key);
    await this.ensure(tenant);
    if (dto.defaultOrganizationId) {
      const org = await this.organizations.find(RequestContext.system('saml'), dto.defaultOrganizationId);
      if (!org || org.tenantId !== tenant.id)
        throw new InvalidInputError('defaultOrganizationId does not name an organization of this tenant');
    }
    const row = await this.tx.run(async () => {
      const row = (await this.repository.connectionOf(tenant.id))!;
      if (dto.idpEntityId !== undefined) row.idpEntityId = dto.idpEntityId;
      if (dto.idpSsoUrl !== undefined) row.idpSsoUrl = dto.idpSsoUrl;
      if (dto.idpCertificates !== undefined) row.idpCertificates = [...new Set(dto.idpCertificates.map(normalizePem))];
      if (dto.jitProvisioning !== undefined) row.jitProvisioning = dto.jitProvisioning;
      if (dto.defaultOrganizationId !== undefined) row.defaultOrganizationId = dto.defaultOrganizationId;
      if (dto.attributeMapping !== undefined) row.attributeMapping = { ...row.attributeMapping, ...definedOnly(dto.attributeMapping) };
      if (dto.enabled !== undefined) row.enabled = dto.enabled;
      if (dto.allowIdpInitiated !== undefined) row.allowIdpInitiated = dto.allowIdpInitiated;
      if (dto.clockSkewSeconds !== undefined) row.clockSkewSeconds = dto.clockSkewSeconds;
      if (dto.nameIdFormat !== undefined) row.nameIdFormat = dto.nameIdFormat;
      if (row.enabled && !isConfigured(row))
        throw new InvalidInputError('enabled needs idpEntityId, idpSsoUrl and at least one of idpCertificates: set them first');
      await this.repository.saveConnection(row);
      await this.record(ctx, tenant, 'saml.connection.updated', { fields: Object.keys(dto) });
      return row;
    });
    return this.toView(tenant, row);
  }

  async delete(ctx: RequestContext, key: string): Promise<void> {
    const tenant = await this.tenantOrFail(key);
    await this.tx.run(async () => {
      if (await this.repository.deleteConnection(tenant.id)) await this.record(ctx, tenant, 'saml.connection.deleted', {});
    });
  }

  async importMetadata(ctx: RequestContext, key: string, dto: ImportIdpMetadataDto): Promise<SamlConnectionView> {
    if (!!dto.xml === !!dto.url) throw new InvalidInputError('Send either xml (the IdP metadata) or url (where to fetch it), not both');
    const tenant = await this.tenantOrFail(key);
    await this.ensure(tenant);
    const xml = dto.xml ?? (await this.fetchMetadata(dto.url!, !!dto.allowPrivateNetwork));
    let metadata;
    try {
      metadata = parseIdpMetadata(xml);
    } catch (err) {
      if (err instanceof XmlRefused) throw new InvalidInputError(`${dto.xml ? 'xml' : 'url'}: ${err.message}`);
      throw err;
    }
    const certificates = metadata.certificates.map(normalizePem);
    for (const [i, pem] of certificates.entries()) {
      try {
        readCertificate(pem);
      } catch (err) {
        throw new InvalidInputError(`The metadata's certificate ${i + 1} ${(err as Error).message}`);
      }
    }
    const row = await this.tx.run(async () => {
      const row = (await this.repository.connectionOf(tenant.id))!;
      row.idpEntityId = metadata.entityId.slice(0, 1024);
      row.idpSsoUrl = metadata.ssoUrl.slice(0, 2048);
      row.idpCertificates = certificates.slice(0, 5);
      row.idpMetadataUrl = dto.url ?? null;
      await this.repository.saveConnection(row);
      await this.record(ctx, tenant, 'saml.connection.metadata_imported', { from: dto.url ? 'url' : 'xml', entityId: row.idpEntityId });
      return row;
    });
    return this.toView(tenant, row);
  }

  /** A new SP key pair at once; the old certificate stays in the metadata until the next rotation. */
  async rotateSpCertificate(ctx: RequestContext, key: string): Promise<SamlConnectionView> {
    const tenant = await this.tenantOrFail(key);
    await this.ensure(tenant);
    const { privateKeyPem, certificatePem } = generateSpKeyPair(`Portico SAML SP ${tenant.key}`);
    const row = await this.tx.run(async () => {
      const row = (await this.repository.connectionOf(tenant.id))!;
      row.spPreviousCertificate = row.spCertificate;
      row.spCertificate = certificatePem;
      row.spPrivateKeySealed = this.crypto.encrypt(privateKeyPem);
      await this.repository.saveConnection(row);
      await this.record(ctx, tenant, 'saml.sp_certificate.rotated', { fingerprint: readCertificate(certificatePem).fingerprintSha256 });
      return row;
    });
    return this.toView(tenant, row);
  }

  engineSettings(tenant: TenantRef, row: SamlConnection): EngineSettings {
    const urls = this.urls(tenant.key);
    return {
      spEntityId: urls.spEntityId,
      acsUrl: urls.acsUrl,
      spPrivateKeyPem: this.crypto.decrypt(row.spPrivateKeySealed),
      spCertificates: [row.spCertificate, ...(row.spPreviousCertificate ? [row.spPreviousCertificate] : [])],
      nameIdFormat: row.nameIdFormat,
      idpSsoUrl: row.idpSsoUrl ?? '',
      idpCertificates: row.idpCertificates,
      clockSkewMs: row.clockSkewSeconds * 1000,
    };
  }

  toView(tenant: TenantRef, row: SamlConnection): SamlConnectionView {
    return {
      tenantKey: tenant.key,
      idpEntityId: row.idpEntityId,
      idpSsoUrl: row.idpSsoUrl,
      idpCertificates: row.idpCertificates,
      idpCertificateDetails: row.idpCertificates.map(certificateView),
      idpMetadataUrl: row.idpMetadataUrl,
      jitProvisioning: row.jitProvisioning,
      defaultOrganizationId: row.defaultOrganizationId,
      attributeMapping: { ...DEFAULT_ATTRIBUTE_MAPPING, ...row.attributeMapping },
      enabled: row.enabled,
      allowIdpInitiated: row.allowIdpInitiated,
      clockSkewSeconds: row.clockSkewSeconds,
      nameIdFormat: row.nameIdFormat,
      ...this.urls(tenant.key),
      spCertificate: row.spCertificate,
      spCertificateDetails: certificateView(row.spCertificate),
      spPreviousCertificate: row.spPreviousCertificate,
      configured: isConfigured(row),
      updatedAt: row.updatedAt ?? null,
    };
  }

  private async fetchMetadata(url: string, allowPrivateNetwork: boolean): Promise<string> {
    const res = await this.outbound.send({
      url,
      allowPrivateNetwork,
      allowHttp: allowPrivateNetwork,
      timeoutMs: 8000,
      maxBytes: 512 * 1024,
    });
    if (!res.ok) throw new InvalidInputError(`url: the IdP metadata could not be fetched: ${res.message}`);
    if (res.status !== 200) throw new InvalidInputError(`url: the IdP metadata could not be fetched: HTTP ${res.status}`);
    return res.body;
  }

  private async record(ctx: RequestContext, tenant: TenantRef, action: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.record(ctx, { action, targetType: 'tenant', targetId: tenant.id, tenant, details });
  }
}

export function isConfigured(row: SamlConnection): boolean {
  return !!row.idpEntityId && !!row.idpSsoUrl && row.idpCertificates.length > 0;
}

export function certificateView(pem: string): CertificateView {
  try {
    const info = readCertificate(pem);
    return {
      subject: info.subject,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      fingerprintSha256: info.fingerprintSha256,
      expiresSoon: expiresSoon(info),
    };
  } catch {
    return { subject: '(unreadable)', notBefore: new Date(0), notAfter: new Date(0), fingerprintSha256: '', expiresSoon: true };
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
