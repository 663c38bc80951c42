import { Injectable } from '@nestjs/common';
import { RequestContext } from '@portico/core';
import type { TenantRef } from '@portico/tenants';
import { ExpiringIdpCertificate, SamlConnections } from './saml-connections';
import { ImportIdpMetadataDto, PutSamlConnectionDto, SamlConnectionView } from './dto/saml-connection.dto';
import { readCertificate } from './certificates';
import { ConsumeOutcome, SamlLogin, SamlTestResult, StartOutcome } from './login/saml-login';
import { spMetadataXml } from './login/saml-engine';

/** What a tenant's manifest says about SAML (GET /t/{key}/metadata). */
export interface SamlManifestFacts {
  enabled: boolean;
  nameIdFormat: string;
  /** The IdP certificate Portico trusts for the tenant (the first configured), PEM. */
  idpCertificate: string | null;
  /** Its SHA-1 fingerprint, lower-case hex with colons. */
  idpFingerprint: string | null;
}

/** The SAML facade: each tenant's connection (configuration API and console), its SP metadata and its sign-ins. */
@Injectable()
export class SamlService {
  constructor(
    private readonly connections: SamlConnections,
    private readonly login: SamlLogin,
  ) {}

  get(key: string): Promise<SamlConnectionView> {
    return this.connections.view(key);
  }

  put(ctx: RequestContext, key: string, dto: PutSamlConnectionDto): Promise<SamlConnectionView> {
    return this.connections.put(ctx, key, dto);
  }

  delete(ctx: RequestContext, key: string): Promise<void> {
    return this.connections.delete(ctx, key);
  }

  importMetadata(ctx: RequestContext, key: string, dto: ImportIdpMetadataDto): Promise<SamlConnectionView> {
    return this.connections.importMetadata(ctx, key, dto);
  }

  rotateSpCertificate(ctx: RequestContext, key: string): Promise<SamlConnectionView> {
    return this.connections.rotateSpCertificate(ctx, key);
  }

  /** Portico's SP metadata for the tenant: there before the connection is enabled, so the IdP can be set up first. */
  async spMetadata(key: string): Promise<string | null> {
    const tenant = await this.connections.findTenant(key);
    if (!tenant) return null;
    const row = await this.connections.ensure(tenant);
    const settings = this.connections.engineSettings(tenant, row);
    return spMetadataXml(settings);
  }

  /** IdP certificates of any tenant that expire within `days` days (or have expired), soonest first. */
  expiringIdpCertificates(now: Date, days = 30): Promise<ExpiringIdpCertificate[]> {
    return this.connections.expiringCertificates(new Date(now.getTime() + days * 86_400_000));
  }

  async manifestFacts(tenant: TenantRef): Promise<SamlManifestFacts> {
    const row = await this.connections.find(tenant.id);
    const pem = row?.idpCertificates[0] ?? null;
    let fingerprint: string | null = null;
    if (pem) {
      try {
        fingerprint = readCertificate(pem).fingerprintSha1;
      } catch {
        fingerprint = null;
      }
    }
    return {
      enabled: !!row?.enabled,
      nameIdFormat: row?.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      idpCertificate: pem,
      idpFingerprint: fingerprint,
    };
  }

  /** Whether the tenant's sign-in page should offer SAML: the connection is on and so is the method. */
  offersSignIn(tenant: TenantRef): Promise<boolean> {
    return this.login.offered(tenant);
  }

  startLogin(key: string, next: string | undefined): Promise<StartOutcome> {
    return this.login.start(key, next);
  }

  startTest(key: string): Promise<StartOutcome> {
    return this.login.startTest(key);
  }

  testResult(key: string, resultId: string): Promise<SamlTestResult | null> {
    return this.login.testResult(key, resultId);
  }

  consume(key: string, body: unknown, ip: string | null): Promise<ConsumeOutcome> {
    return this.login.consume(key, body, ip);
  }
}
