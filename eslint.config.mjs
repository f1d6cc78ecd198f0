// ESLint for the page (server/static/), the Node runners (runtimes/*/*.cjs) and the
// benchmark workers: `make test` runs it (`npm run lint`), so a lint error fails CI.
import js from '@eslint/js';
import globals from 'globals';

const STATIC = 'src/clientside/server/static';
// Classic scripts: the page's boot script, the prediction worker (it importScripts
// TF.js), the service worker (generated from sw.js), and the TF.js benchmark worker.
const CLASSIC = [`${STATIC}/boot.js`, `${STATIC}/worker.js`, `${STATIC}/sw.js`, 'bench/inference_worker.js'];

export default [
  { ignores: ['src/clientside/vendored/**'] },
  js.configs.recommended,
  {
    files: [`${STATIC}/**/*.js`, 'bench/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.worker },
    },
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
  { files: CLASSIC, languageOptions: { sourceType: 'script' } },
  // sw.js is a template: the server writes its version and file list in place of these.
  { files: [`${STATIC}/sw.js`], languageOptions: { globals: { ...globals.serviceworker, __ASSETS__: 'readonly', __ISOLATE__: 'readonly' } } },
  // An AudioWorklet module (the microphone's samples): the worklet's own scope.
  { files: [`${STATIC}/**/*.worklet.js`], languageOptions: { globals: globals.audioWorklet } },
  {
    files: ['src/clientside/runtimes/*/*.cjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: globals.node },
  },
];
