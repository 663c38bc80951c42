import { CreateTenantDto } from '@portico/tenants';
import { PutSamlConnectionDto } from '@portico/sso';
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { InvalidInputError } from '@portico/core';
import { UpdateAuthSettingsDto } from '@portico/auth';
import { attempt, checkbox, inWords, offsetParam, pager, parseForm } from './forms';

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
      problem: {
        status: 400,
        errors: [expect.stringMatching(/^Key: must be 2-63 characters/), 'Name is required.'],
        fields: { key: [expect.stringMatching(/^Key: must be 2-63 characters/)], name: ['Name is required.'] },
      },
    });
  });

  it('says which entry of a list is wrong, in words', async () => {
    const pem = selfSignedPem();
    const labels = { idpCertificates: 'IdP certificates', 'idpCertificates[]': 'certificate' };
    const bad = await parseForm(
      PutSamlConnectionDto,
      { idpCertificates: [pem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] },
      labels,
    );
    expect(bad).toMatchObject({
      ok: false,
      problem: { fields: { idpCertificates: ['The second certificate is not a valid X.509 certificate'] } },
    });
    expect(inWords('redirectUris[0] must be a URL', 'redirectUris')).toBe('The first entry must be a URL');
    expect(inWords('scopes[21] is unknown', 'scopes')).toBe('The 22nd entry is unknown');
    expect(inWords('scopes[11] is unknown', 'scopes', 'Scopes')).toBe('The 12th entry in Scopes is unknown');
  });

  it('keeps a nested field’s messages under its path, for the field that shows it', async () => {
    const bad = await parseForm(
      UpdateAuthSettingsDto,
      { lockout: { maxPasswordFailures: 1000 } },
      { 'lockout.maxPasswordFailures': 'Wrong passwords' },
    );
    expect(bad).toMatchObject({
      ok: false,
      problem: { fields: { 'lockout.maxPasswordFailures': ['Wrong passwords: must not be greater than 100'] } },
    });
  });

  it('puts a refused input’s messages from the domain in words beside the fields they start with', async () => {
    const labels = { url: 'URL', clientCertificate: 'Client certificate', clientKey: 'Client key', caCertificate: 'CA certificate' };
    const refused = await attempt(() => {
      throw new InvalidInputError(
        'url: Refused to connect to 127.0.0.1; clientKey does not belong to clientCertificate; caCertificate must be PEM; timeouts are off',
      );
    }, labels);
    expect(refused).toEqual({
      ok: false,
      problem: {
        status: 400,
        errors: [
          'URL: Refused to connect to 127.0.0.1',
          'Client key does not belong to the client certificate',
          'CA certificate must be PEM',
          'timeouts are off',
        ],
        fields: {
          url: ['URL: Refused to connect to 127.0.0.1'],
          clientKey: ['Client key does not belong to the client certificate'],
          caCertificate: ['CA certificate must be PEM'],
        },
      },
    });
    // Without labels the message is shown as the domain wrote it.
    expect(await attempt(() => Promise.reject(new InvalidInputError('url: bad')))).toEqual({
      ok: false,
      problem: { status: 400, errors: ['url: bad'] },
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

function selfSignedPem(): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'idp.test' }]);
  cert.setIssuer([{ name: 'commonName', value: 'idp.test' }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
