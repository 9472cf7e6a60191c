import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Plain JS scripts run in Node (build steps) or in the browser (none here): name the globals they use.
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'TextEncoder', 'TextDecoder'].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'public/**', 'bench-results/**', 'test-results/**', 'playwright-report/**', 'scratch/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // TypeScript checks names itself (and knows DOM, worker and Node globals); no-undef only misfires there.
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], languageOptions: { globals: { ...nodeGlobals, window: 'readonly' } } },
);
