// ESLint enforces the architecture, not just style (see README, "Architecture"):
//  - the protocol core (native-helper/**/ike, native-helper/**/esp) is sans-I/O: no sockets, files,
//    processes, timers, clock or randomness of its own; all of that is passed in;
//  - the renderer is a sandboxed web page: no Node built-ins, no electron;
//  - promises are never left floating.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// bare built-in names; every `node:*` specifier is caught by a pattern below
const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('node:'));

/** Paths (never present on disk) that test/lint/architecture.spec.ts lints with lintText. */
export const LINT_FIXTURES = [
  'native-helper/ike/lint-fixture.ts',
  'native-helper/esp/lint-fixture.ts',
  'renderer/lint-fixture.ts',
];

export const SANS_IO_FILES = ['native-helper/**/ike/**/*.ts', 'native-helper/**/esp/**/*.ts'];

const sansIoImports = [
  'dgram',
  'net',
  'fs',
  'fs/promises',
  'child_process',
  'timers',
  'timers/promises',
]
  .flatMap((m) => [m, `node:${m}`])
  .map((name) => ({
    name,
    message: 'The IKE/ESP core is sans-I/O: do the I/O in the runtime and pass inputs to handle().',
  }));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'build/**',
      'node_modules/**',
      'native-helper/native/build/**',
      'test-results/**',
      'bench-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts'],
    languageOptions: {
      parserOptions: {
        projectService: {
          // virtual files that test/lint/architecture.spec.ts lints to show the rules fire
          allowDefaultProject: LINT_FIXTURES,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: SANS_IO_FILES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...sansIoImports,
            ...['crypto', 'node:crypto'].map((name) => ({
              name,
              importNames: [
                'randomBytes',
                'randomFillSync',
                'randomFill',
                'randomInt',
                'randomUUID',
                'getRandomValues',
              ],
              message: 'Randomness is injected into the sans-I/O core (Random interface).',
            })),
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'setTimeout',
          'setInterval',
          'setImmediate',
          'clearTimeout',
          'clearInterval',
          'queueMicrotask',
        ].map((name) => ({
          name,
          message: 'The sans-I/O core arms timers by returning outputs, never by itself.',
        })),
        { name: 'process', message: 'The sans-I/O core does not touch the process.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'The sans-I/O core reads no clock: use the `now` passed to handle().',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'The sans-I/O core reads no clock: use the `now` passed to handle().',
        },
        {
          selector: "MemberExpression[object.name='performance'][property.name='now']",
          message: 'The sans-I/O core reads no clock: use the `now` passed to handle().',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Randomness is injected into the sans-I/O core (Random interface).',
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer is sandboxed: talk to main through window.tsunagi.',
            },
            ...NODE_BUILTINS.map((name) => ({
              name,
              message: 'The renderer has no Node: it is a sandboxed page.',
            })),
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer has no Node: it is a sandboxed page.' },
          ],
        },
      ],
    },
  },
);
