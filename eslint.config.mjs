import js from '@eslint/js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';

// Module boundaries. Each lib is reached through its index.ts only (`@portico/<lib>`, never a path
// inside it), core imports no domain, and a module's entities are imported by its own files and by
// apps/server/src/entities.ts alone: other modules go through its facade. Entity names are read
// from the *.entity.ts files, so a new entity is covered without editing this list.
const ROOT = import.meta.dirname;
const LIBS = readdirSync(join(ROOT, 'libs'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

function entityNames(lib) {
  const names = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.entity.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(/^export class (\w+)/gm)) names.push(m[1]);
    }
  };
  walk(join(ROOT, 'libs', lib, 'src'));
  return names;
}

const ENTITIES = Object.fromEntries(LIBS.map((lib) => [lib, entityNames(lib)]));
const INTO_A_LIB = {
  regex: '^@portico/[^/]+/',
  message: 'Import another lib through its index.ts (`@portico/<lib>`), not a file inside it.',
};
const RELATIVE_INTO_A_LIB = {
  // Leaving a lib's src/ (or apps/) by a relative path: only another lib or app can be there.
  regex: '^(\\.\\./)+(\\.\\./(libs|apps)/|[^./][^/]*/src(/|$))',
  message: 'Import another lib through `@portico/<lib>`, not by a relative path into it.',
};

function entitiesOf(libs, except) {
  return libs
    .filter((lib) => lib !== except && ENTITIES[lib].length)
    .map((lib) => ({
      group: [`@portico/${lib}`],
      importNamePattern: `^(${ENTITIES[lib].join('|')})$`,
      message: `An entity belongs to its module (${lib}): use its facade and view types; only apps/server/src/entities.ts lists every entity.`,
    }));
}

const boundaries = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
// Unit specs may reach inside what they test.
const SPECS = ['**/*.spec.ts'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', console: 'readonly', setTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**', 'bench/**', '**/*.spec.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['apps/**/*.ts'],
    ignores: ['apps/server/src/entities.ts', ...SPECS],
    rules: boundaries([INTO_A_LIB, ...entitiesOf(LIBS)]),
  },
  { files: ['apps/server/src/entities.ts'], rules: boundaries([INTO_A_LIB]) },
  ...LIBS.map((lib) => ({
    files: [`libs/${lib}/**/*.ts`],
    ignores: SPECS,
    rules: boundaries([
      INTO_A_LIB,
      RELATIVE_INTO_A_LIB,
      { group: ['@portico/server'], message: 'A lib never imports the app: the app wires the libs together.' },
      ...(lib === 'core'
        ? [{ regex: '^@portico/(?!core$)', message: 'Core imports no domain: a domain depends on core, never the reverse.' }]
        : entitiesOf(LIBS, lib)),
    ]),
  })),
);
