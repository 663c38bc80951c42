import { BerWriter } from 'ldapts';
import { escapeFilterValue, fillFilter, filterTemplateProblem } from './filter';
import { PRESET_DEFAULTS } from './presets';

describe('LDAP filter values (RFC 4515)', () => {
  it('escapes the characters the grammar gives a meaning, and other ASCII punctuation', () => {
    expect(escapeFilterValue('*')).toBe('\\2a');
    expect(escapeFilterValue('(')).toBe('\\28');
    expect(escapeFilterValue(')')).toBe('\\29');
    expect(escapeFilterValue('\\')).toBe('\\5c');
    expect(escapeFilterValue('\0')).toBe('\\00');
    expect(escapeFilterValue('a=b>=c~=d:e&|!')).toBe('a\\3db\\3e\\3dc\\7e\\3dd\\3ae\\26\\7c\\21');
    expect(escapeFilterValue('ada.lovelace_1@example-corp.org')).toBe('ada.lovelace_1@example-corp.org');
  });

  it('leaves non-ASCII text as UTF-8 text (ldapts decodes \\XX to one character each)', () => {
    expect(escapeFilterValue('jürgen')).toBe('jürgen');
    expect(escapeFilterValue('日本語😀')).toBe('日本語😀');
  });

  it('keeps every ASCII punctuation character and any sequence of them a literal value', () => {
    const punctuation = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
    const samples = [...punctuation, punctuation.join(''), '*)(uid=*', '*)(|(uid=*', '\\2a', '))))((((', 'a\0b', ' ', '\t\r\n'];
    for (const value of samples) {
      const filter = fillFilter('(&(objectClass=inetOrgPerson)(uid={{username}}))', { username: value });
      const [, uid] = (filter as unknown as { filters: { attribute: string; value: string; type?: string }[] }).filters;
      expect({ value, attribute: uid.attribute, parsed: uid.value }).toEqual({ value, attribute: 'uid', parsed: value });
      expect(filter.constructor.name).toBe('AndFilter');
    }
  });

  it('sends non-ASCII values as their UTF-8 bytes', () => {
    const writer = new BerWriter();
    fillFilter('(uid={{username}})', { username: 'jürgen' }).write(writer);
    // equalityMatch [3] { attributeDesc "uid", assertionValue OCTET STRING }
    const value = Buffer.from('jürgen', 'utf8');
    expect(writer.buffer).toEqual(
      Buffer.concat([Buffer.from([0xa3, 7 + value.length, 0x04, 3]), Buffer.from('uid'), Buffer.from([0x04, value.length]), value]),
    );
  });

  it('accepts the presets and names what is wrong with a template', () => {
    for (const preset of Object.values(PRESET_DEFAULTS)) {
      expect(filterTemplateProblem('searchFilter', preset.searchFilter, ['username'])).toBeNull();
      if (preset.groupSearchFilter) expect(filterTemplateProblem('groupSearchFilter', preset.groupSearchFilter, [])).toBeNull();
    }
    expect(filterTemplateProblem('searchFilter', '(uid=ada)', ['username'])).toMatch(
      /searchFilter must contain the placeholder \{\{username\}\}/,
    );
    for (const broken of ['(uid={{username}}', '(&(objectClass=person)(uid={{username}})', '(uid={{username}}))'])
      expect({ broken, problem: filterTemplateProblem('searchFilter', broken, ['username']) }).toEqual({
        broken,
        problem: expect.stringMatching(/searchFilter is not a valid LDAP filter/),
      });
    expect(filterTemplateProblem('searchFilter', '(uid={{user}})({{username}})', ['username'])).toMatch(/unknown placeholder \{\{user\}\}/);
  });
});
