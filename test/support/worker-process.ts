import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

/**
 * The app compiled as `npm run build` compiles it, into a folder of its own under the git-ignored
 * tmp/ of the project (so node_modules resolves): what a real worker or server process runs.
 */
export async function buildApp(): Promise<{ dir: string; remove(): void }> {
  const dir = join(ROOT, 'tmp', `build-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const node = process.execPath;
  await run(node, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dir], { cwd: ROOT });
  await run(node, [join(ROOT, 'node_modules/tsc-alias/dist/bin/index.js'), '-p', 'tsconfig.build.json', '--outDir', dir], { cwd: ROOT });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real Portico process (`apps/worker` or `apps/server`) from a build; `output` collects what it printed. */
abstract class PorticoProcess {
  readonly output: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  protected constructor(
    private readonly entry: string,
    private readonly readyLine: string,
    private readonly name: string,
    protected readonly buildDir: string,
    protected readonly env: Record<string, string>,
  ) {}

  /** Starts the process and waits until it prints its ready line. */
  async start(timeoutMs = 30_000): Promise<this> {
    const child = this.spawn();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The ${this.name} did not start in time:\n${this.output.join('')}`)), timeoutMs);
      child.stdout!.on('data', () => {
        if (this.output.join('').includes(this.readyLine)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The ${this.name} exited with ${code} before it was ready:\n${this.output.join('')}`));
      });
    });
    return this;
  }

  /** Starts the process without waiting for it to be ready (for processes expected to fail or hang). */
  spawn(): ChildProcess {
    const child = spawn(process.execPath, [join(this.buildDir, this.entry)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    child.stdout!.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
    return child;
  }

  /** Sends the signal and resolves with the exit code (-1 when a signal ended it). */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child!.kill(signal);
    return this.exited;
  }

  /** Resolves with the exit code once the process has ended by itself. */
  get exit(): Promise<number | null> {
    return this.exited;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** A real `apps/worker` process from a build. */
export class WorkerProcess extends PorticoProcess {
  constructor(buildDir: string, env: Record<string, string>) {
    super('apps/worker/src/main.js', 'worker ready', 'worker', buildDir, env);
  }
}

/** A real `apps/server` process from a build, on its own loopback port (`url`). */
export class ServerProcess extends PorticoProcess {
  private constructor(
    buildDir: string,
    env: Record<string, string>,
    readonly url: string,
  ) {
    super('apps/server/src/main.js', 'Portico is listening on', 'server', buildDir, env);
  }

  /** A server on a free port; `env` needs at least DATABASE_URL and PORTICO_SECRET_KEY. */
  static async create(buildDir: string, env: Record<string, string>): Promise<ServerProcess> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    return new ServerProcess(buildDir, { PORT: String(port), PUBLIC_URL: url, ...env }, url);
  }
}
