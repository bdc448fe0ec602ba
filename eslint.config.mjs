import tseslint from 'typescript-eslint';

// The layers of docs/ARCHITECTURE.md, enforced: each entry lists what a folder may not import. A violation fails
// `npm run lint` (test/architecture/layers.test.ts shows each rule failing on a deliberate violation).
const EDITOR_APIS = [
  'vscode',
  'vscode-languageserver',
  'vscode-languageserver/*',
  'vscode-languageclient',
  'vscode-languageclient/*',
];
const NODE_BUILTINS = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'url',
  'util',
  'crypto',
];
const layer = (message, groups) => ({ group: groups, message });

export const LAYER_RULES = [
  {
    files: ['server/src/core/**/*.ts'],
    patterns: [
      layer('the language core is plain TypeScript: no editor, LSP or Node APIs (pass a CheckHost instead)', [
        ...EDITOR_APIS,
        ...NODE_BUILTINS,
      ]),
      layer('the language core may not import the IDE or LSP layers above it', [
        '**/ide',
        '**/ide/**',
        '**/lsp',
        '**/lsp/**',
      ]),
    ],
  },
  {
    files: ['server/src/ide/**/*.ts'],
    patterns: [
      layer('the IDE layer is plain data: no editor or LSP APIs', EDITOR_APIS),
      layer('the IDE layer may not import the LSP layer above it', ['**/lsp', '**/lsp/**']),
    ],
  },
  {
    files: ['server/src/**/*.ts'],
    patterns: [
      layer('the language server does not use the VS Code extension API', ['vscode', '**/client/**', '**/runtime/**']),
    ],
  },
  {
    files: ['runtime/src/**/*.ts'],
    patterns: [
      // One exception: ide/checks, the entry of the environment checks `srlm check`, `srlm run` and the language
      // server share (docs/ARCHITECTURE.md, "One list of environment checks").
      layer(
        'the runtime serves the CLI too: no editor or LSP APIs, nothing from the client, of the IDE layer only ide/checks',
        [...EDITOR_APIS, '**/client/**', '**/server/src/ide/**', '!**/server/src/ide/checks', '**/server/src/lsp/**'],
      ),
    ],
  },
  {
    files: ['runtime/src/plan/**/*.ts'],
    patterns: [
      layer('the plan compiler may not import the CLI or the supervisor that use it', [
        '**/cli',
        '**/cli/**',
        '**/supervisor',
        '**/supervisor/**',
      ]),
    ],
  },
  {
    files: ['client/webview/**/*.ts'],
    patterns: [
      layer('webview scripts run in the browser: no extension-host or Node APIs', [...EDITOR_APIS, ...NODE_BUILTINS]),
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.venv/**', '.e2e/**', 'out/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Flat config applies the last matching `no-restricted-imports` only, so a file in several layers gets the
  // union of their rules: each block lists every rule that applies to its files.
  ...[...LAYER_RULES]
    .sort((a, b) => a.files[0].length - b.files[0].length) // general folders first, so a sub-folder's block wins
    .map((rule) => ({
      files: rule.files,
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: LAYER_RULES.filter((r) => r.files.some((f) => covers(f, rule.files[0]))).flatMap(
              (r) => r.patterns,
            ),
          },
        ],
      },
    })),
);

/** Whether glob `outer` (a `folder/**` pattern) covers every file of glob `inner`. */
function covers(outer, inner) {
  const base = outer.replace(/\*\*\/\*\.ts$/, '');
  return inner.startsWith(base);
}
