import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | null = null;

/** The folder holding Portico's package.json, from source (ts) or from dist alike. */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'portico') return (cached = dir);
    dir = dirname(dir);
  }
  throw new Error('Cannot find the Portico project root');
}
