import { dnHash, dnSpellings, firstRdnValue, isDn, normalizeDn } from './dn';

describe('DNs', () => {
  it('compares DNs whatever their case and spacing', () => {
    expect(normalizeDn('CN=Sales Team , OU=Groups,DC=Example,dc=org')).toBe('cn=sales team,ou=groups,dc=example,dc=org');
    expect(dnHash('uid=Ada,ou=people,dc=x')).toBe(dnHash('UID=ada, OU=People, DC=X'));
    expect(dnHash('uid=ada,ou=people,dc=x')).not.toBe(dnHash('uid=grace,ou=people,dc=x'));
  });

  it('keeps escaped separators apart from real ones', () => {
    expect(normalizeDn('cn=a\\,b,dc=x')).not.toBe(normalizeDn('cn=a,b=,dc=x'));
    expect(firstRdnValue('cn=Smith\\, John,ou=people,dc=x')).toBe('Smith, John');
  });

  it('reads escaped bytes as UTF-8, so every spelling of a value is one DN and different values stay apart', () => {
    // OpenLDAP sends \2C where Active Directory sends \, for the same comma.
    expect(normalizeDn('uid=a\\2Cb,dc=x')).toBe(normalizeDn('uid=a\\,b,dc=x'));
    expect(dnHash('uid=a\\2Cb,dc=x')).not.toBe(dnHash('uid=a2Cb,dc=x'));
    expect(firstRdnValue('cn=J\\C3\\BCrgen \\28Sales\\29,dc=x')).toBe('Jürgen (Sales)');
    expect(normalizeDn('cn="Smith, John";dc=x')).toBe(normalizeDn('cn=Smith\\, John,dc=x'));
    expect(normalizeDn('cn=#0403616263,dc=x')).toBe('cn=#0403616263,dc=x');
    expect(firstRdnValue('cn=\\ padded\\ ,dc=x')).toBe(' padded ');
  });

  it('tells DNs from other text', () => {
    expect(isDn('ou=people,dc=example,dc=org')).toBe(true);
    for (const bad of ['', '   ', 'people', '=x', 'ou=people,,dc=x', 'ou=people,dc=x,', 'cn=a\\', 'cn="open,dc=x', 'o u=x'])
      expect({ bad, dn: isDn(bad) }).toEqual({ bad, dn: false });
    expect(firstRdnValue('cn=Sales,ou=groups,dc=example,dc=org')).toBe('Sales');
  });

  it('lists the ways an administrator may have written a DN', () => {
    expect(dnSpellings('CN=Admins,OU=Groups,DC=x')).toEqual([
      'CN=Admins,OU=Groups,DC=x',
      'cn=admins,ou=groups,dc=x',
      'cn=admins, ou=groups, dc=x',
    ]);
    expect(dnSpellings('cn=a\\,b,dc=x')).toEqual(['cn=a\\,b,dc=x', 'cn=a\\,b,dc=x', 'cn=a\\,b, dc=x']);
    expect(dnSpellings('staff')).toEqual(['staff']);
  });
});
