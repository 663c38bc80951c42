import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Certificates made for one test run by the openssl command line, in a directory the caller owns:
// nothing is checked in. A file `<name>.key` / `<name>.crt` per CA or certificate.

/** `-newkey` arguments: EC P-256 by default, or RSA (`['rsa:2048']`). */
export type KeySpec = string[];
const EC_P256: KeySpec = ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

export function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A self-signed CA valid for two days. */
export function newCa(dir: string, name: string, subject = `/CN=${name} test CA`, key: KeySpec = EC_P256): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    ...key,
    '-nodes',
    '-days',
    '2',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    subject,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

/** A certificate `name` signed by the CA `ca`, with the given extensions (openssl extfile lines). */
export function issue(dir: string, ca: string, name: string, extensions: string, subject = `/CN=${name}`, key: KeySpec = EC_P256): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, 'req', '-newkey', ...key, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  );
}
