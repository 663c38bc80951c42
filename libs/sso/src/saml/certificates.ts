import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export interface CertificateInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER, upper-case hex with colons. */
  fingerprintSha256: string;
  /** SHA-1, lower-case hex with colons: the format portal manifests use (x509_fingerprint). */
  fingerprintSha1: string;
}

const EXPIRY_WARNING_MS = 30 * 24 * 3_600_000;

/** Parses one PEM certificate; throws with a readable reason when it is not one. */
export function readCertificate(pem: string): CertificateInfo {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1) throw new Error(blocks.length ? 'holds more than one certificate' : 'is not a PEM certificate');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]);
  } catch {
    throw new Error('is not a valid X.509 certificate');
  }
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprintSha256: cert.fingerprint256,
    fingerprintSha1: cert.fingerprint.toLowerCase(),
  };
}

/** The PEM in one canonical shape (64-character lines, one trailing newline). */
export function normalizePem(pem: string): string {
  const block = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  const body = (block?.[1] ?? '').replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

export function expiresSoon(info: CertificateInfo, now = Date.now()): boolean {
  return info.notAfter.getTime() - now <= EXPIRY_WARNING_MS;
}

/**
 * A new SP signing key (RSA-2048, made by Node's native crypto) and a self-signed certificate for
 * it (node-forge), valid for five years: IdPs pin SP certificates, they do not check a chain.
 */
export function generateSpKeyPair(commonName: string): { privateKeyPem: string; certificatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  // A positive serial: the first byte's high bit clear.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + 5 * 365 * 24 * 3_600_000);
  const name = [{ name: 'commonName', value: commonName.slice(0, 64) }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return { privateKeyPem, certificatePem: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n') };
}
