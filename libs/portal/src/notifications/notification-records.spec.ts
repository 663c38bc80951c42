import { DomainException } from '@portico/core';
import { MAX_RECORDS, parseEnvelope, parseOrganization, parsePerson, recordId } from './notification-records';

describe('notification envelope', () => {
  it('takes {"<collection>": [records]}', () => {
    expect(parseEnvelope({ organizations: [{ id: 'g' }], people: [] })).toEqual([
      { name: 'organizations', records: [{ id: 'g' }] },
      { name: 'people', records: [] },
    ]);
  });

  it.each([
    ['null', null, /JSON object/],
    ['an array', [], /JSON object/],
    ['text', 'text', /JSON object/],
    ['an empty object', {}, /no collection/],
    ['a collection that is not an array', { people: {} }, /people must be an array/],
    ['too many records', { people: Array.from({ length: MAX_RECORDS + 1 }, () => ({})) }, /at most 1000/],
  ])('refuses %s with a message that says what is wrong', (_label, body, message) => {
    expect(() => parseEnvelope(body)).toThrow(DomainException);
    expect(() => parseEnvelope(body)).toThrow(message);
  });
});

describe('notification records', () => {
  it('reads ids as text, numbers included', () => {
    expect(recordId({ id: 'cld-1' })).toBe('cld-1');
    expect(recordId({ id: 42 })).toBe('42');
    expect(recordId({ id: 1.5 })).toBeNull();
    expect(recordId({ id: '' })).toBeNull();
    expect(recordId({ id: 'x'.repeat(256) })).toBeNull();
    expect(recordId('nope')).toBeNull();
  });

  it('parses an organization, trimming its name', () => {
    expect(parseOrganization({ id: 'g1', name: '  Acme  ' })).toEqual({ ok: true, value: { id: 'g1', name: 'Acme' } });
    expect(parseOrganization({ id: 'g1' })).toMatchObject({ ok: false, reason: expect.stringMatching(/name/) });
    expect(parseOrganization({ name: 'Acme' })).toMatchObject({ ok: false, reason: expect.stringMatching(/id/) });
  });

  it('parses a person, with the role defaulting to member and matched case-insensitively', () => {
    expect(parsePerson({ id: 'u1', group_id: 'g1', email: 'a@b.example', first_name: 'A', last_name: 'B', role: 'Admin' })).toEqual({
      ok: true,
      value: { id: 'u1', groupId: 'g1', email: 'a@b.example', firstName: 'A', lastName: 'B', role: 'admin' },
    });
    expect(parsePerson({ id: 'u1', email: 'a@b.example' })).toMatchObject({
      ok: true,
      value: { groupId: null, role: 'member', firstName: '' },
    });
  });

  it.each([
    [{ id: 'u', email: 'nope' }, /email/],
    [{ id: 'u' }, /email/],
    [{ email: 'a@b.example' }, /id/],
    [{ id: 'u', email: 'a@b.example', role: 'emperor' }, /role/],
    [{ id: 'u', email: 'a@b.example', role: 'constructor' }, /role/],
    [{ id: 'u', email: 'a@b.example', role: 'toString' }, /role/],
    [{ id: 'u', email: 'a@b.example', role: 3 }, /role/],
    [{ id: 'u', email: 'a@b.example', group_id: { x: 1 } }, /group_id/],
    [{ id: 'u', email: 'a@b.example', first_name: 'x'.repeat(101) }, /first_name/],
    [['u'], /object/],
  ])('rejects %j with a reason', (record, reason) => {
    expect(parsePerson(record)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
  });
});
