import { CreateTenantDto } from '@portico/tenants';
import { checkbox, offsetParam, pager, parseForm } from './forms';

describe('console form helpers', () => {
  it('validates with the API’s DTO and names fields as the form labels them', async () => {
    const labels = { key: 'Key', name: 'Name' };
    expect(await parseForm(CreateTenantDto, { key: 'acme', name: 'Acme' }, labels)).toMatchObject({
      ok: true,
      value: { key: 'acme', name: 'Acme' },
    });
    const bad = await parseForm(CreateTenantDto, { key: 'Not A Key', name: '' }, labels);
    expect(bad).toEqual({
      ok: false,
      problem: { status: 400, errors: [expect.stringMatching(/^Key: must be 2-63 characters/), 'Name is required.'] },
    });
  });

  it('reads checkboxes and offsets from strings, never trusting their shape', () => {
    expect(checkbox({ billable: 'on' }, 'billable')).toBe(true);
    expect(checkbox({}, 'billable')).toBe(false);
    expect(checkbox({ billable: ['on', 'on'] }, 'billable')).toBe(false);
    expect(offsetParam({ offset: '50' })).toBe(50);
    expect(offsetParam({ offset: '-5' })).toBe(0);
    expect(offsetParam({ offset: 'abc' })).toBe(0);
  });

  it('builds previous/next links that keep the filters', () => {
    expect(pager('/console/users', { search: 'a&b', tenantKey: undefined }, { total: 60, limit: 25, offset: 25 })).toEqual({
      from: 26,
      to: 50,
      total: 60,
      prevHref: '/console/users?search=a%26b',
      nextHref: '/console/users?search=a%26b&offset=50',
    });
    expect(pager('/console/users', {}, { total: 0, limit: 25, offset: 0 })).toMatchObject({
      from: 0,
      to: 0,
      prevHref: null,
      nextHref: null,
    });
  });
});
