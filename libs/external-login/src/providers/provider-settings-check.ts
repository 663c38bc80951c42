import { urlProblem } from '@portico/core';
import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface ProviderConnection {
  url: string;
  allowPrivateNetwork: boolean;
  clientCertificate: string | null;
  clientKey: string | null;
  caCertificate: string | null;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * What is wrong with a provider's destination and TLS material, in words for the administrator.
 * The address policy is checked here for literal IPs and again at connect time for names (a name
 * can resolve to a private address later).
 */
export function connectionProblems(p: ProviderConnection): string[] {
  const problems: string[] = [];
  let url: URL | null = null;
  try {
    url = new URL(p.url);
  } catch {
    problems.push('url must be an absolute URL such as https://login.example.com/external-login');
  }
  if (url) {
    if (url.protocol === 'http:' && !p.allowPrivateNetwork)
      problems.push('url must use https:// (plain http:// only for a provider marked allowPrivateNetwork)');
    else {
      const problem = urlProblem(url, { allowHttp: p.allowPrivateNetwork, allowPrivateNetwork: p.allowPrivateNetwork });
      if (problem) problems.push(`url: ${problem}`);
    }
    if (url.hash) problems.push('url must not contain a #fragment');
  }
  if (!!p.clientCertificate !== !!p.clientKey) problems.push('clientCertificate and clientKey go together: give both or neither');
  let cert: X509Certificate | null = null;
  if (p.clientCertificate) {
    try {
      cert = new X509Certificate(p.clientCertificate);
    } catch {
      problems.push('clientCertificate is not a PEM certificate');
    }
  }
  if (p.clientKey) {
    try {
      const key = createPrivateKey(p.clientKey);
      if (cert && !cert.checkPrivateKey(key)) problems.push('clientKey does not belong to clientCertificate');
    } catch {
      problems.push('clientKey is not an unencrypted PEM private key');
    }
  }
  if (p.caCertificate) {
    const blocks = p.caCertificate.match(PEM_CERTIFICATE) ?? [];
    if (!blocks.length) problems.push('caCertificate must be one or more PEM certificates');
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch {
        problems.push('caCertificate contains a certificate that cannot be read');
        break;
      }
    }
  }
  return problems;
}
