import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

/**
 * The app compiled as `npm run build` compiles it, into a folder of its own under the git-ignored
 * tmp/ of the project (so node_modules resolves): what a real worker process runs.
 */
export async function buildApp(): Promise<{ dir: string; remove(): void }> {
  const dir = join(ROOT, 'tmp', `build-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const node = process.execPath;
  await run(node, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dir], { cwd: ROOT });
  await run(node, [join(ROOT, 'node_modules/tsc-alias/dist/bin/index.js'), '-p', 'tsconfig.build.json', '--outDir', dir], { cwd: ROOT });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real `apps/worker` process from a build; `output` collects what it printed. */
export class WorkerProcess {
  readonly output: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    private readonly buildDir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the worker and waits until it says it is ready. */
  async start(timeoutMs = 30_000): Promise<this> {
    const child = spawn(process.execPath, [join(this.buildDir, 'apps/worker/src/main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The worker did not start in time:\n${this.output.join('')}`)), timeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        this.output.push(d.toString());
        if (this.output.join('').includes('worker ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The worker exited with ${code} before it was ready:\n${this.output.join('')}`));
      });
    });
    return this;
  }

  /** Sends the signal and resolves with the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child && this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
}
