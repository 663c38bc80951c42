import { ENTITLEMENT_DOCTYPE, entitlementDocument, escapeXml, parseEntitlementDocument } from './entitlement-document';

describe('entitlementDocument', () => {
  it('is the reference document: declaration, DOCTYPE, then the three fields', () => {
    expect(entitlementDocument({ server: 'rm.example.com', className: 'myProduct', key: '03d59e66' })).toBe(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n' +
        '<!DOCTYPE entitlement [ <!ELEMENT entitlement (server, class, key)> <!ELEMENT server (#PCDATA)> <!ELEMENT class (#PCDATA)> <!ELEMENT key (#PCDATA)> ]>\n' +
        '<entitlement><server>rm.example.com</server><class>myProduct</class><key>03d59e66</key></entitlement>\n',
    );
  });

  it('escapes the five XML special characters, and reads back to the same values', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    const tricky = { server: 's&<>', className: `"c'`, key: ']]></key><key>x' };
    expect(parseEntitlementDocument(entitlementDocument(tricky))).toEqual(tricky);
  });
});

describe('parseEntitlementDocument', () => {
  const wrap = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${ENTITLEMENT_DOCTYPE}\n${body}`;

  it('reads a document with or without DOCTYPE, whitespace and CDATA', () => {
    expect(
      parseEntitlementDocument(
        wrap('<entitlement>\n  <server> rm.example.com </server>\n  <class>c</class>\n  <key><![CDATA[k&1]]></key>\n</entitlement>\n'),
      ),
    ).toEqual({
      server: 'rm.example.com',
      className: 'c',
      key: 'k&1',
    });
    expect(parseEntitlementDocument('<entitlement><server>s</server><class/><key>k</key></entitlement>')).toEqual({
      server: 's',
      className: '',
      key: 'k',
    });
  });

  it.each([
    ['not XML', '{"key":"k"}'],
    ['an empty body', ''],
    ['an unclosed element', '<entitlement><server>s</server><class>c</class><key>k</entitlement>'],
    ['another root', '<grant><server>s</server><class>c</class><key>k</key></grant>'],
    ['two roots', '<entitlement><server>s</server><class>c</class><key>k</key></entitlement><entitlement/>'],
    ['a missing key', '<entitlement><server>s</server><class>c</class></entitlement>'],
    ['an empty key', '<entitlement><server>s</server><class>c</class><key> </key></entitlement>'],
    ['a repeated key', '<entitlement><server>s</server><class>c</class><key>a</key><key>b</key></entitlement>'],
    ['an unknown field', '<entitlement><server>s</server><class>c</class><key>k</key><admin>1</admin></entitlement>'],
    ['markup inside a field', '<entitlement><server>s</server><class>c</class><key><b>k</b></key></entitlement>'],
    ['text beside the fields', '<entitlement>free<server>s</server><class>c</class><key>k</key></entitlement>'],
    ['a bare ampersand', '<entitlement><server>s</server><class>c</class><key>a&b</key></entitlement>'],
    [
      'an entity it defines itself',
      '<!DOCTYPE entitlement [<!ENTITY x "y">]><entitlement><server>s</server><class>c</class><key>&x;</key></entitlement>',
    ],
    [
      'an external entity',
      '<!DOCTYPE entitlement [<!ENTITY x SYSTEM "file:///etc/passwd">]><entitlement><server>s</server><class>c</class><key>&x;</key></entitlement>',
    ],
    ['a NUL character reference', '<entitlement><server>s</server><class>c</class><key>&#0;</key></entitlement>'],
  ])('refuses %s', (_label, xml) => {
    expect(parseEntitlementDocument(xml)).toBeNull();
  });
});
