#!/usr/bin/env node
/**
 * Builds dist/ only when it is missing or older than the sources, so `npm start` does not
 * recompile on every start. With --if-missing (the operators' commands: migrate, billing, the
 * worker) it builds only when there is no build at all: rewriting dist/ under a running server is
 * what an operator's command must never do, so a stale build is only reported.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const builtEntry = join(root, 'dist/apps/server/src/main.js');
const sourceRoots = ['apps', 'libs', 'migrations'];
const configFiles = ['tsconfig.json', 'tsconfig.build.json'];

function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of sourceRoots) if (existsSync(join(root, dir))) visit(join(root, dir));
  for (const file of configFiles) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

const built = existsSync(builtEntry) ? statSync(builtEntry).mtimeMs : 0;
const stale = built > 0 && newestSource() > built;
const onlyIfMissing = process.argv.includes('--if-missing');

if (built > 0 && !stale) process.exit(0);
if (onlyIfMissing && stale) {
  process.stderr.write(
    'Note: the sources changed since the last build; this runs the built code. Run `npm run build` to use the changes.\n',
  );
  process.exit(0);
}
process.stderr.write(built ? 'Sources changed since the last build: building…\n' : 'No build yet: building…\n');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
