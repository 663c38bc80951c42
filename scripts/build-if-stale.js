#!/usr/bin/env node
/**
 * Builds dist/ only when the entry a command runs (argument, relative to the project; the server's
 * main.js by default) is missing or older than the sources, so `npm start` does not recompile on
 * every start and an operator's command after an upgrade runs the new code, not a stale build
 * without its file. A running server has loaded its modules already, so a rebuild under it is safe.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const entryArg = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
const builtEntry = join(root, entryArg ?? 'dist/apps/server/src/main.js');
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

if (built > 0 && !stale) process.exit(0);
process.stderr.write(
  built ? 'Sources changed since the last build: building…\n' : `${relative(root, builtEntry)} is not built yet: building…\n`,
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
