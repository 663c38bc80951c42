import { formatCheckQuery, parseCheckQuery } from './check-query';

describe('parseCheckQuery', () => {
  it.each([
    ['server=s;class=c;key=k;remote_ip=1.2.3.4', { server: 's', className: 'c', key: 'k', remoteIp: '1.2.3.4' }],
    ['server=s&class=c&key=k', { server: 's', className: 'c', key: 'k', remoteIp: null }],
    ['key=k;server=s', { server: 's', className: null, key: 'k', remoteIp: null }],
    ['server=s;class=;key=k;remote_ip=', { server: 's', className: null, key: 'k', remoteIp: null }],
    ['server=s;key=a+b%2Bc%3B%26%3D', { server: 's', className: null, key: 'a b+c;&=', remoteIp: null }],
    ['%73erver=s;key=%E2%82%AC', { server: 's', className: null, key: '€', remoteIp: null }],
    [';;server=s&;key=k;other=1;flag', { server: 's', className: null, key: 'k', remoteIp: null }],
    ['server=s;key=a=b', { server: 's', className: null, key: 'a=b', remoteIp: null }],
  ])('%s', (query, params) => {
    expect(parseCheckQuery(query)).toEqual({ ok: true, params });
  });

  it.each([
    ['', 'server missing'],
    ['key=k', 'server missing'],
    ['server=s', 'key missing'],
    ['server=s;key=', 'key missing'],
    ['server=s;key', 'key missing'],
    ['server=s;key=a;key=b', 'key given more than once'],
    ['server=s;key=a&key=a', 'key given more than once'],
    ['server=s;class=a;class=;key=k', 'class given more than once'],
    ['server=s;key=%', 'malformed percent-encoding'],
    ['server=s;key=%zz', 'malformed percent-encoding'],
    ['server=s;key=%C3', 'malformed percent-encoding'],
    ['%zz=1;server=s;key=k', 'malformed percent-encoding'],
  ])('refuses %j: %s', (query, problem) => {
    expect(parseCheckQuery(query)).toEqual({ ok: false, problem });
  });
});

describe('formatCheckQuery', () => {
  it('separates with ; and percent-encodes every value, leaving out what is absent', () => {
    expect(formatCheckQuery({ server: 'rm.example.com', className: 'my Product', key: 'a;b&c=d/é+', remoteIp: '::1' })).toBe(
      'server=rm.example.com;class=my%20Product;key=a%3Bb%26c%3Dd%2F%C3%A9%2B;remote_ip=%3A%3A1',
    );
    expect(formatCheckQuery({ server: 's', className: null, key: 'k', remoteIp: null })).toBe('server=s;key=k');
  });

  it('round-trips through the parser', () => {
    const params = { server: 's', className: 'c ;&=%+', key: ' k\u00e9\u{1F511} ', remoteIp: '2001:db8::1' };
    expect(parseCheckQuery(formatCheckQuery(params))).toEqual({ ok: true, params });
  });
});
