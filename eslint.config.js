// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default defineConfig(
  globalIgnores([
    'node_modules/',
    'out/',
    'dist/',
    'coverage/',
    'test-results/',
    'playwright-report/',
    '.synod-data/',
    '.synod-demo/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'all',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // The renderer is sandboxed: Node globals do not exist there.
      'no-restricted-globals': ['error', 'process', 'require', 'module', 'Buffer', '__dirname', '__filename', 'global'],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        extraFileExtensions: ['.svelte'],
        parser: tseslint.parser,
        svelteConfig,
      },
    },
  },
  {
    // TypeScript already reports undefined identifiers (and knows the DOM/Node types).
    files: ['**/*.ts', '**/*.svelte'],
    rules: { 'no-undef': 'off' },
  },
  {
    // Node-side code also runs without Electron, in synod-node (out/main/headless.js under plain Node):
    // only the Electron shell and the preload import electron. (no-restricted-syntax, not
    // no-restricted-imports, so that the folders' own import rules below do not replace this one.)
    files: ['src-main/**', 'shared/**'],
    ignores: ['src-main/electron/**', 'src-main/preload.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration', 'ImportExpression'].map((node) => ({
          selector: `${node}[source.value=/^electron(\\/|$)/]`,
          message: 'only src-main/electron and the preload may import electron: this code also runs in synod-node, under plain Node',
        })),
      ],
    },
  },
  {
    // The protocol core is a pure state machine: no I/O, no clock, no ambient randomness.
    files: ['src-main/core/**'],
    ignores: ['src-main/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(node:|fs|net|dgram|os|path|child_process|crypto|electron|sql\\.js)', message: 'the core does no I/O: the runtime does' }, { regex: '^\\.\\./', message: 'the core imports nothing outside src-main/core' }] }],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'performance', 'fetch', 'Date', 'require', 'Buffer'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'use the injected RandomSource' }],
    },
  },
  {
    // The node runtime speaks its own terms (NodeState, NodeEvent, NodeError, shared/domain.ts); the
    // service (src-main/service) shows them as the API. Nothing below it imports the API's modules.
    files: ['src-main/node/**', 'src-main/net/**'],
    ignores: ['src-main/net/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)(shared/(api|api-[a-z]+|validate|ipc)|service/[^/]+)$', message: 'the node runtime does not speak the API: return its own values (node-state.ts, node-error.ts, shared/domain.ts) and let src-main/service map them' }] }],
    },
  },
  {
    files: ['src-main/headless/**', 'test/**', 'scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
