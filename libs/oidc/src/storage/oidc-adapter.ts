import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { OidcRepository } from '../oidc.repository';

/** Where the provider finds a client's metadata: Portico's own clients table, not the artefact store. */
export interface ClientMetadataSource {
  metadataFor(clientId: string): Promise<AdapterPayload | undefined>;
}

// Artefacts a request redeems once: the second use must fail even when both requests raced.
const SINGLE_USE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/**
 * The storage adapter class the provider instantiates once per model. Everything lives in the
 * database, so any number of server instances share sessions, grants, codes and tokens.
 */
export function adapterClass(store: OidcRepository, clients: ClientMetadataSource): new (model: string) => Adapter {
  return class PorticoOidcAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') return;
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      await store.upsert(this.model, id, payload as Record<string, unknown>, expiresAt);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return clients.metadataFor(id);
      return withConsumed(await store.find(this.model, id));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return withConsumed(await store.findByUserCode(this.model, userCode));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return withConsumed(await store.findByUid(this.model, uid));
    }

    async consume(id: string): Promise<void> {
      if (await store.consume(this.model, id)) return;
      if (!SINGLE_USE.has(this.model)) return;
      // Another request redeemed it between the provider's read and this update (two requests
      // racing, maybe on two instances): that one wins, this one is refused. A later reuse is seen
      // by the provider itself (the payload says consumed) and revokes the grant.
      throw new errors.InvalidGrant(`${label(this.model)} already used`);
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeByGrantId(grantId);
    }
  };
}

function withConsumed(stored: Awaited<ReturnType<OidcRepository['find']>>): AdapterPayload | undefined {
  if (!stored) return undefined;
  const payload = stored.payload as AdapterPayload;
  return stored.consumedAt ? { ...payload, consumed: Math.floor(stored.consumedAt.getTime() / 1000) } : payload;
}

function label(model: string): string {
  return model === 'RefreshToken' ? 'refresh token' : model === 'AuthorizationCode' ? 'authorization code' : model;
}
