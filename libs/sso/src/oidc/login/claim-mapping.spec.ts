import { DEFAULT_CLAIM_MAPPING } from '../tenant-oidc-connections';
import { claimValue, mapClaims } from './claim-mapping';

describe('OpenID Connect claim mapping', () => {
  it('maps the standard claims and counts only email_verified true (or "true") as verified', () => {
    const base = { sub: 'abc', email: 'ada@example.com', given_name: 'Ada', family_name: 'Lovelace' };
    expect(mapClaims({ ...base, email_verified: true }, DEFAULT_CLAIM_MAPPING)).toMatchObject({
      subject: 'abc',
      email: 'ada@example.com',
      emailVerified: true,
      firstName: 'Ada',
      lastName: 'Lovelace',
      role: 'member',
    });
    expect(mapClaims({ ...base, email_verified: 'true' }, DEFAULT_CLAIM_MAPPING).emailVerified).toBe(true);
    expect(mapClaims({ ...base, email_verified: false }, DEFAULT_CLAIM_MAPPING).emailVerified).toBe(false);
    expect(mapClaims({ ...base, email_verified: 1 }, DEFAULT_CLAIM_MAPPING).emailVerified).toBe(false);
    expect(mapClaims(base, DEFAULT_CLAIM_MAPPING).emailVerified).toBe(false);
    expect(mapClaims({ ...base, email: 'not an address' }, DEFAULT_CLAIM_MAPPING).email).toBeNull();
  });

  it('reads a list claim’s first entry and a dotted path into a structured claim', () => {
    const claims = {
      sub: 'x',
      groups: ['g-1', 'g-2'],
      organizations: [{ external_uid: 'grp-7', name: 'Seven', role: 'owner' }],
      'https://acme.example/claims/role': 'Admin',
    };
    const mapped = mapClaims(claims, {
      ...DEFAULT_CLAIM_MAPPING,
      groupUid: 'organizations.external_uid',
      groupName: 'organizations.name',
      groupRole: 'https://acme.example/claims/role',
    });
    expect(mapped).toMatchObject({ groupUid: 'grp-7', groupName: 'Seven', groupRole: 'Admin', role: 'admin' });
    expect(claimValue(claims, 'groups')).toEqual(['g-1', 'g-2']);
    expect(mapClaims(claims, { ...DEFAULT_CLAIM_MAPPING, groupUid: 'groups' }).groupUid).toBe('g-1');
    expect(claimValue(claims, 'organizations.missing')).toBeUndefined();
    expect(claimValue(claims, 'constructor.name')).toBeUndefined();
  });
});
