import { DEFAULT_ATTRIBUTE_MAPPING, mapIdentity, roleFrom } from './attribute-mapping';

describe('attribute mapping', () => {
  it('maps the default attribute names and falls back to an email NameID', () => {
    expect(
      mapIdentity(
        'ada@acme.example',
        { name: ['Ada'], surname: ['Lovelace'], group_uid: ['g1'], group_role: ['Admin'] },
        DEFAULT_ATTRIBUTE_MAPPING,
      ),
    ).toEqual({
      nameId: 'ada@acme.example',
      email: 'ada@acme.example',
      firstName: 'Ada',
      lastName: 'Lovelace',
      groupUid: 'g1',
      groupName: null,
      groupRole: 'Admin',
      role: 'admin',
    });
    expect(mapIdentity('uid-1', { email: ['not an email'] }, DEFAULT_ATTRIBUTE_MAPPING).email).toBeNull();
  });

  it.each([
    ['Owner', 'owner'],
    ['Super Admin', 'owner'],
    ['administrator', 'admin'],
    ['Power User', 'admin'],
    ['Member', 'member'],
    [null, 'member'],
    ['root', 'member'],
  ])('role %s → %s', (value, role) => expect(roleFrom(value)).toBe(role));
});
