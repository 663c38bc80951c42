import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');

/**
 * The project compiled once into a throw-away folder (never the shared dist/, which other suites
 * and benchmarks may be building at the same time), with node_modules linked and package.json beside it.
 */
export async function buildIntoTemp(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-build-'));
  const outDir = join(dir, 'dist');
  const run = (script: string, args: string[]) =>
    promisify(execFile)(process.execPath, [require.resolve(script), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, ...args], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
  await run('typescript/bin/tsc', []);
  await run('tsc-alias/dist/bin/index.js', []);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // How the code finds its project root (projectRoot()).
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts a compiled CLI (`apps/server/src/cli/<name>.js`) with only the environment given. */
export function startCli(build: { dir: string }, name: string, args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [join(build.dir, 'dist/apps/server/src/cli', `${name}.js`), ...args], {
    cwd: build.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}
