// Lint rules for `npm run lint` (`eslint .`): the recommended sets of ESLint and
// typescript-eslint, without type-aware rules so a run stays fast. `tsc` checks the types.
import js from '@eslint/js';
import {defineConfig} from 'eslint/config';
import tseslint from 'typescript-eslint';

// Plain .js files (scripts, bin, this file) run on Node; the .ts files get these from @types/node.
const nodeGlobals = {
  console: 'readonly',
  process: 'readonly',
  URL: 'readonly',
  Buffer: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  AbortController: 'readonly',
};

export default defineConfig([
  {ignores: ['dist/', 'node_modules/', '.tools/', '.spin-test/', 'coverage/', 'oclif.manifest.json']},
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.{ts,js}', 'scripts/**/*.js', 'bin/**/*.js', '*.js'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {globals: nodeGlobals},
    rules: {
      // `_name` marks an argument or binding kept on purpose (a handler's signature, a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // Tests hand deliberately malformed values to the code under test, and match the ANSI
    // escapes of terminal output.
    files: ['test/**/*.ts'],
    rules: {'@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off'},
  },
]);
