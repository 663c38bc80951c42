import { Injectable, Logger } from '@nestjs/common';
import { AuthSettingsService, LoginOutcome } from '@portico/auth';
import { AppConfig, AuditService, Clock, safeNext } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import type { SamlConnection } from '../entities/saml-connection.entity';
import { isConfigured, SamlConnections } from '../saml-connections';
import { SamlStore } from '../store/saml-store';
import { readVerifiedAssertion } from '../xml/assertion';
import { checkEnvelope } from '../xml/response-checks';
import { XmlRefused } from '../xml/xml-tree';
import { mapIdentity, MappedIdentity } from './attribute-mapping';
import { authorizeUrl, newRequestId, verifiedAssertionXml } from './saml-engine';
import { FederatedSignIn } from '../../federation/federated-sign-in';
import { FederatedProvisioning, ProvisioningPreview } from '../../federation/federated-provisioning';
import type { FederatedIdentity } from '../../federation/federated-identity';

// The IdP has this long to answer an AuthnRequest.
const REQUEST_TTL_MS = 10 * 60_000;
const TEST_RESULT_TTL_MS = 15 * 60_000;
// A SAMLResponse larger than this is refused before it is decoded.
const MAX_RESPONSE_CHARS = 200_000;

export type Refusal = { kind: 'refused'; status: 400 | 403 | 404; message: string };
export type StartOutcome = { kind: 'redirect'; url: string } | Refusal;
export type ConsumeOutcome =
  { kind: 'login'; outcome: LoginOutcome; next: string } | { kind: 'test'; tenantKey: string; resultId: string } | Refusal;

/** What a console test login found: the mapped attributes and what a real sign-in would do. */
export interface SamlTestResult {
  at: string;
  nameId: string;
  nameIdFormat: string | null;
  identity: MappedIdentity;
  attributes: Record<string, string[]>;
  preview: ProvisioningPreview;
}

const refused = (status: Refusal['status'], message: string): Refusal => ({ kind: 'refused', status, message });

/** SP-initiated sign-in (init), the ACS (consume) and the console's test login, for one tenant at a time. */
@Injectable()
export class SamlLogin {
  private readonly logger = new Logger('SamlLogin');

  constructor(
    private readonly connections: SamlConnections,
    private readonly store: SamlStore,
    private readonly provisioning: FederatedProvisioning,
    private readonly settings: AuthSettingsService,
    private readonly signIn: FederatedSignIn,
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** GET /t/{key}/saml/init: a signed AuthnRequest whose id is remembered server-side, the return path in RelayState. */
  async start(tenantKey: string, next: string | undefined): Promise<StartOutcome> {
    const found = await this.usable(tenantKey);
    if (found.kind === 'refused') return found;
    if (!found.row.enabled || !(await this.settings.isMethodEnabled(found.tenant.id, 'saml'))) return turnedOff();
    return this.redirect(found.tenant, found.row, 'login', this.returnPath(next));
  }

  async offered(tenant: TenantRef): Promise<boolean> {
    if (tenant.status !== 'active') return false;
    const row = await this.connections.find(tenant.id);
    return !!row?.enabled && isConfigured(row) && (await this.settings.isMethodEnabled(tenant.id, 'saml'));
  }

  /** The console's test login: the same AuthnRequest, marked so the answer creates nothing and signs no one in. */
  async startTest(tenantKey: string): Promise<StartOutcome> {
    const found = await this.usable(tenantKey);
    if (found.kind === 'refused') return found;
    return this.redirect(found.tenant, found.row, 'test', '/console');
  }

  async testResult(tenantKey: string, resultId: string): Promise<SamlTestResult | null> {
    const tenant = await this.tenants.findByKey(tenantKey);
    if (!tenant || !/^_[0-9a-f]{40}$/.test(resultId)) return null;
    const entry = await this.store.take(tenant.id, `result${resultId}`);
    return entry?.purpose === 'test-result' && entry.payload ? (JSON.parse(entry.payload) as SamlTestResult) : null;
  }

  /** POST /t/{key}/saml/consume. */
  async consume(tenantKey: string, body: unknown, ip: string | null): Promise<ConsumeOutcome> {
    const tenant = await this.tenants.findByKey(tenantKey);
    if (!tenant) return refused(404, 'There is no sign-in here.');
    const form = (body ?? {}) as Record<string, unknown>;
    const samlResponse = form.SAMLResponse;
    const relayState = typeof form.RelayState === 'string' ? form.RelayState : undefined;
    if (
      typeof samlResponse !== 'string' ||
      !samlResponse ||
      samlResponse.length > MAX_RESPONSE_CHARS ||
      !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)
    )
      return this.reject(tenant, ip, 400, 'SAMLResponse is missing or is not base64.', 'malformed');
    if (tenant.status !== 'active')
      return this.reject(tenant, ip, 403, 'This tenant is suspended: nobody can sign in to it for now.', 'tenant-suspended');
    const row = await this.connections.find(tenant.id);
    if (!row || !isConfigured(row)) return this.reject(tenant, ip, 403, 'SAML sign-in is not set up for this tenant.', 'not-configured');

    const settings = this.connections.engineSettings(tenant, row);
    let identity: MappedIdentity;
    let purpose: 'login' | 'test';
    let facts;
    let requestId: string | null = null;
    try {
      const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
      const envelope = checkEnvelope(xml);
      if (envelope.destination !== settings.acsUrl) throw new XmlRefused('The response’s Destination is not this tenant’s ACS URL');
      if (envelope.issuer !== null && envelope.issuer !== row.idpEntityId)
        throw new XmlRefused('The response’s Issuer is not this tenant’s IdP');
      const assertionXml = await verifiedAssertionXml(settings, samlResponse).catch((err: Error) => {
        throw new XmlRefused(`node-saml refused it: ${err.message.split('\n')[0].slice(0, 200)}`);
      });
      facts = readVerifiedAssertion(assertionXml, {
        idpEntityId: row.idpEntityId!,
        spEntityId: settings.spEntityId,
        acsUrl: settings.acsUrl,
        clockSkewMs: settings.clockSkewMs,
        now: this.clock.nowMs(),
      });
      if (envelope.inResponseTo && facts.inResponseTo && envelope.inResponseTo !== facts.inResponseTo)
        throw new XmlRefused('The response and its assertion answer different requests');
      // The assertion id is spent before anything else can fail, so a copy can never be replayed.
      if (!(await this.store.firstUse(tenant.id, facts.id, facts.expiresAt))) throw new XmlRefused('This assertion was already used');
      requestId = facts.inResponseTo ?? envelope.inResponseTo;
      if (requestId) {
        const pending = await this.store.take(tenant.id, requestId);
        if (!pending || (pending.purpose !== 'login' && pending.purpose !== 'test'))
          throw new XmlRefused('The response answers no sign-in this tenant started (unknown, expired or already used request)');
        purpose = pending.purpose;
      } else {
        if (!row.allowIdpInitiated)
          throw new XmlRefused('The response answers no request, and this tenant does not accept IdP-initiated sign-in');
        purpose = 'login';
      }
      identity = mapIdentity(facts.nameId, facts.attributes, { ...row.attributeMapping });
    } catch (err) {
      if (!(err instanceof XmlRefused)) throw err;
      return this.reject(
        tenant,
        ip,
        403,
        `Single sign-on failed: ${err.message}. Start again from your portal, or ask your administrator.`,
        'invalid-response',
        err.message,
      );
    }

    if (purpose === 'test') {
      const resultId = requestId ?? '';
      const result: SamlTestResult = {
        at: new Date().toISOString(),
        nameId: facts.nameId,
        nameIdFormat: facts.nameIdFormat,
        identity,
        attributes: facts.attributes,
        preview: await this.provisioning.preview('saml', tenant, row, federated(identity)),
      };
      await this.store.put(
        tenant.id,
        `result${resultId}`,
        { purpose: 'test-result', payload: JSON.stringify(result) },
        new Date(Date.now() + TEST_RESULT_TTL_MS),
      );
      await this.audit.recordSignIn('saml', tenant, ip, 'auth.saml.tested', null, {});
      return { kind: 'test', tenantKey: tenant.key, resultId };
    }

    if (!row.enabled || !(await this.settings.isMethodEnabled(tenant.id, 'saml'))) {
      await this.audit.recordSignIn('saml', tenant, ip, 'auth.login.refused', null, { method: 'saml', reason: 'saml-disabled' });
      return turnedOff();
    }
    const done = await this.signIn.finish('saml', tenant, row, federated(identity), ip);
    return done.kind === 'refused' ? done : { kind: 'login', next: this.returnPath(relayState), outcome: done.outcome };
  }

  /** A same-origin path only: a path as is, or a URL on Portico's own origin reduced to its path. */
  private returnPath(value: string | undefined): string {
    if (value && /^https?:\/\//i.test(value)) {
      try {
        const url = new URL(value);
        if (url.origin !== new URL(this.config.publicUrl).origin) return '/account';
        value = `${url.pathname}${url.search}`;
      } catch {
        return '/account';
      }
    }
    return safeNext(value?.slice(0, 2000), '/account');
  }

  private async usable(tenantKey: string): Promise<{ kind: 'ok'; tenant: TenantRef; row: SamlConnection } | Refusal> {
    const tenant = await this.tenants.findByKey(tenantKey);
    if (!tenant || tenant.status !== 'active') return refused(404, 'There is no sign-in page here.');
    const row = await this.connections.find(tenant.id);
    if (!row || !isConfigured(row)) return refused(404, 'SAML sign-in is not set up for this tenant.');
    return { kind: 'ok', tenant, row };
  }

  private async redirect(tenant: TenantRef, row: SamlConnection, purpose: 'login' | 'test', relayState: string): Promise<StartOutcome> {
    const requestId = newRequestId();
    await this.store.put(tenant.id, requestId, { purpose, payload: null }, new Date(Date.now() + REQUEST_TTL_MS));
    return { kind: 'redirect', url: await authorizeUrl(this.connections.engineSettings(tenant, row), requestId, relayState) };
  }

  private async reject(
    tenant: TenantRef,
    ip: string | null,
    status: Refusal['status'],
    message: string,
    reason: string,
    detail?: string,
  ): Promise<Refusal> {
    // The reason is audited; the response itself is never logged.
    this.logger.warn(`SAML response refused for tenant ${tenant.key}: ${detail ?? reason}`);
    await this.audit.recordSignIn('saml', tenant, ip, 'auth.saml.refused', null, { reason, ...(detail ? { detail } : {}) });
    return refused(status, message);
  }
}

// SAML says nothing about whether an address is verified: the IdP is trusted for it, as before.
function federated(identity: MappedIdentity): FederatedIdentity {
  const { nameId, ...rest } = identity;
  return { ...rest, subject: nameId, emailVerified: null };
}

function turnedOff(): Refusal {
  return refused(403, 'Signing in with SAML is turned off for this tenant. Ask your administrator how to sign in.');
}
