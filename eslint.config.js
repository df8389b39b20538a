// Lint configuration. Besides style, it enforces the layering described in docs/architecture.md:
// each `no-restricted-imports` rule carries the reason it exists.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Server-side domains that client code (tsh, client/) must never reach into. */
const serverDirs = ['auth', 'backend', 'ca', 'events', 'services', 'proxy', 'reversetunnel', 'srv', 'service', 'config'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'packages/api/src/gen/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The public API package is imported by clients and third parties: it must not pull server code in.
    files: ['packages/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@teleport-ts/teleport', '@teleport-ts/teleport/*', '**/teleport/src/**'],
          message: 'packages/api is the public API and must not import server code (see docs/architecture.md).' }],
      }],
    },
  },
  {
    // Client tools run on users' laptops and talk to the cluster only through the public API.
    files: ['packages/teleport/src/client/**/*.ts', 'packages/teleport/src/tool/tsh/**/*.ts'],
    // Tests start real clusters, so they may import server code; shipped client code may not.
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: [...serverDirs.flatMap((d) => [`../../${d}/*`, `../${d}/*`, `../../../${d}/*`]), '@teleport-ts/teleport/*'],
          message: 'client code (tsh, client/) must not import server code; use @teleport-ts/api or client/ (see docs/architecture.md).' }],
      }],
    },
  },
  {
    // The web UI (React, TSX) follows the same TypeScript rules.
    files: ['packages/web/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The web UI runs in browsers and is served to anyone who can reach the proxy: it may not
    // bundle server code (secrets, server logic) or Node built-ins. vite.config.ts runs in Node.
    files: ['packages/web/src/**/*.ts', 'packages/web/src/**/*.tsx'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@teleport-ts/teleport', '@teleport-ts/teleport/*', '**/teleport/src/**', 'node:*'],
          message: 'the web UI runs in the browser: it talks to the cluster only through the web API (see docs/webapi.md).' }],
      }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
);
