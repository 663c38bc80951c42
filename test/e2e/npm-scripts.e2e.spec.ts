import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const ADMIN_ENTRY = 'dist/apps/server/src/cli/admin.js';
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/**
 * `npm start` and the operators' commands (admin, migrate, billing, the worker) build only when the
 * entry they run is missing or older than the sources. Exercised on a small project of the same
 * shape whose "build" only records that it ran.
 */
describe('npm scripts: building is its own step', () => {
  let dir: string;
  const built = () => join(dir, 'dist/apps/server/src/main.js');
  const buildsRun = () =>
    existsSync(join(dir, 'builds.log')) ? readFileSync(join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean).length : 0;
  const ensure = (...args: string[]) =>
    spawnSync(process.execPath, [join(dir, 'scripts/build-if-stale.js'), ...args], { cwd: dir, encoding: 'utf8' });
  const touch = (path: string, secondsFromNow: number) => {
    const at = new Date(Date.now() + secondsFromNow * 1000);
    utimesSync(path, at, at);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portico-scripts-'));
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'apps/server/src'), { recursive: true });
    copyFileSync(join(ROOT, 'scripts/build-if-stale.js'), join(dir, 'scripts/build-if-stale.js'));
    writeFileSync(join(dir, 'apps/server/src/main.ts'), 'export {};\n');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    writeFileSync(join(dir, 'tsconfig.build.json'), '{}\n');
    const build =
      "const fs=require('fs');fs.mkdirSync('dist/apps/server/src/cli',{recursive:true});fs.writeFileSync('dist/apps/server/src/main.js','');fs.writeFileSync('dist/apps/server/src/cli/admin.js','');fs.appendFileSync('builds.log','built\\n')";
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shape', private: true, scripts: { build: `node -e "${build}"` } }));
    // The fixture's sources are older than anything the build writes.
    for (const file of ['apps/server/src/main.ts', 'tsconfig.json', 'tsconfig.build.json']) touch(join(dir, file), -60);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('npm start builds when there is no build, then not again while the sources are unchanged', () => {
    expect(ensure().status).toBe(0);
    expect(existsSync(built())).toBe(true);
    expect(ensure().status).toBe(0);
    expect(buildsRun()).toBe(1);
  });

  it('npm start rebuilds once a source is newer than the build', () => {
    ensure();
    touch(join(dir, 'apps/server/src/main.ts'), 60);
    const run = ensure();
    expect(run.stderr).toContain('Sources changed since the last build');
    expect(buildsRun()).toBe(2);
  });

  it('an operator command builds when its own entry is missing, as after an upgrade that added it', () => {
    ensure();
    // The build of a release that had no admin command yet.
    rmSync(join(dir, ADMIN_ENTRY));
    const run = ensure(ADMIN_ENTRY);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`${ADMIN_ENTRY} is not built yet: building…`);
    expect(buildsRun()).toBe(2);
    expect(ensure(ADMIN_ENTRY).status).toBe(0);
    expect(buildsRun()).toBe(2);
  });

  it('an operator command rebuilds a stale build before it runs', () => {
    ensure(ADMIN_ENTRY);
    touch(join(dir, 'apps/server/src/main.ts'), 60);
    const run = ensure(ADMIN_ENTRY);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('Sources changed since the last build');
    expect(buildsRun()).toBe(2);
  });

  it('admin, migrate, billing and the worker each check their own entry before running it', () => {
    for (const [name, entry] of Object.entries({
      admin: ADMIN_ENTRY,
      migrate: 'dist/apps/server/src/cli/migrate.js',
      billing: 'dist/apps/server/src/cli/billing.js',
      'start:worker': 'dist/apps/worker/src/main.js',
    })) {
      expect(scripts[name]).toBe(`node scripts/build-if-stale.js ${entry} && node ${entry}`);
    }
    expect(scripts.prestart).toBe('node scripts/build-if-stale.js');
    // The guard itself is plain Node: it runs before anything is compiled.
    expect(() => execFileSync(process.execPath, ['--check', join(ROOT, 'scripts/build-if-stale.js')])).not.toThrow();
  });
});
