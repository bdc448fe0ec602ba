// End-to-end: the bundled server over stdio, driven by a real JSON-RPC client, one test per feature.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CodeAction,
  CodeLens,
  CompletionItem,
  CompletionList,
  DocumentLink,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InlayHint,
  Location,
  SelectionRange,
  SemanticTokens,
  SignatureHelp,
  SymbolInformation,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { LspClient, ROOT, fileUri, markers, positionAt } from './harness';

const WS = join(ROOT, 'test/fixtures/lsp/ws');
const PIPELINE = join(WS, 'pipeline.srlm');
const text = readFileSync(PIPELINE, 'utf8');
const uri = fileUri(PIPELINE);
let client: LspClient;

function pos(needle: string, delta = 0): { line: number; character: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `fixture lacks ${needle}`);
  return positionAt(text, i + delta);
}

function labels(r: CompletionItem[] | CompletionList | null): string[] {
  const items = Array.isArray(r) ? r : (r?.items ?? []);
  return items.map((i) => i.label);
}

before(async () => {
  client = await LspClient.start({ rootDir: WS, initializationOptions: { diagnosticsDelayMs: 0, detectGpu: false } });
  await client.open(uri, text);
  await client.waitForDiagnostics(uri);
});

after(async () => {
  await client.stop();
});

test('initialize announces every feature', () => {
  const c = client.initializeResult.capabilities;
  for (const k of [
    'completionProvider',
    'hoverProvider',
    'signatureHelpProvider',
    'definitionProvider',
    'referencesProvider',
    'renameProvider',
    'documentSymbolProvider',
    'workspaceSymbolProvider',
    'foldingRangeProvider',
    'selectionRangeProvider',
    'documentFormattingProvider',
    'documentRangeFormattingProvider',
    'semanticTokensProvider',
    'documentLinkProvider',
    'codeActionProvider',
    'inlayHintProvider',
    'codeLensProvider',
  ] as const) {
    assert.ok(c[k], `${k} missing`);
  }
  assert.equal(client.initializeResult.serverInfo?.name, 'srlm-language-server');
});

test('diagnostics: file checks report the padded teacher vocabulary as a warning', async () => {
  const last = await client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'SRLM054'), 5000, 0);
  const vocab = last.diagnostics.find((d) => d.code === 'SRLM054')!;
  assert.equal(vocab.severity, 2);
  assert.match(String(vocab.message), /padded/);
  assert.deepEqual(vocab.range.start, pos('r1\n    data', 0));
});

test('diagnostics on change: an unknown field and a missing dataset file, then cleared', async () => {
  const u = fileUri(join(WS, 'scratch-change.srlm'));
  await client.open(u, 'pipeline p {\n  dataset d { path = "data/train.jsonl"  prompt = "question" }\n}\n');
  await client.waitForDiagnostics(u, (p) => p.version === 1);
  await client.change(u, 2, [
    { text: 'pipeline p {\n  sed = 1\n  dataset d { path = "data/nope.jsonl"  prompt = "question" }\n}\n' },
  ]);
  const bad = await client.waitForDiagnostics(
    u,
    (p) => p.version === 2 && p.diagnostics.some((d) => d.code === 'SRLM050'),
  );
  const codes = bad.diagnostics.map((d) => d.code);
  assert.ok(codes.includes('SRLM012'), `unknown field not reported: ${codes.join(',')}`);
  await client.change(u, 3, [
    { text: 'pipeline p {\n  seed = 1\n  dataset d { path = "data/train.jsonl"  prompt = "question" }\n}\n' },
  ]);
  const ok = await client.waitForDiagnostics(u, (p) => p.version === 3);
  assert.deepEqual(
    ok.diagnostics.filter((d) => d.severity === 1),
    [],
  );
  await client.close(u);
});

test('diagnostics: a bad dataset row is named with its line', async () => {
  const u = fileUri(join(WS, 'scratch-bad.srlm'));
  await client.open(u, 'pipeline p {\n  dataset d {\n    path = "data/bad.jsonl"\n    prompt = "question"\n  }\n}\n');
  const p = await client.waitForDiagnostics(u, (x) => x.diagnostics.some((d) => d.code === 'SRLM051'));
  const d = p.diagnostics.find((x) => x.code === 'SRLM051')!;
  assert.match(String(d.message), /line 3/);
  await client.close(u);
});

test('completion: fields of an sft stage not yet set', async () => {
  const r = await client.request<CompletionItem[]>('textDocument/completion', {
    textDocument: { uri },
    position: pos('epochs = 4'),
  });
  const l = labels(r);
  assert.ok(l.includes('epochs'), 'the field under the cursor stays offered');
  assert.ok(l.includes('batch_size'));
  assert.ok(!l.includes('lr'), 'lr is already set');
  assert.ok(l.includes('lora') === false, 'lora block already present');
});

test('completion: enum values, filtered references, rewards and stage kinds', async () => {
  const u = fileUri(join(WS, 'scratch-complete.srlm'));
  const src = markers(
    'pipeline p {\n  model m { source = "./models/student"  dtype = $0 }\n  dataset d { path = "data/$1" }\n  stage sft a { init = $2 data = d }\n  stage rl b { init = a data = $3 reward = accuracy + $4 reward_file = "rewards.py" }\n  stage $5\n}\n',
  );
  await client.open(u, src.text);
  const at = async (k: string): Promise<string[]> =>
    labels(
      await client.request('textDocument/completion', {
        textDocument: { uri: u },
        position: positionAt(src.text, src.at.get(k)!),
      }),
    );
  assert.deepEqual(await at('0'), ['auto', 'fp32', 'bf16', 'fp16']);
  const files = await at('1');
  assert.ok(files.includes('train.jsonl') && files.includes('cot.jsonl'), files.join(','));
  assert.deepEqual(await at('2'), ['m'], 'init offers models and earlier stages only, not b');
  assert.deepEqual(await at('3'), ['d'], 'data offers datasets only');
  const rewards = await at('4');
  assert.ok(
    rewards.includes('format') && rewards.includes('brevity') && !rewards.includes('_helper'),
    rewards.join(','),
  );
  assert.deepEqual(await at('5'), ['sft', 'kd', 'rl']);
  await client.close(u);
});

test('hover: field docs with default, and model facts from config.json', async () => {
  const h = await client.request<Hover>('textDocument/hover', {
    textDocument: { uri },
    position: pos('max_len = 1024', 1),
  });
  const md = (h.contents as { value: string }).value;
  assert.match(md, /max_len/);
  assert.match(md, /Default: `2048`/);
  const m = await client.request<Hover>('textDocument/hover', {
    textDocument: { uri },
    position: pos('"./models/teacher7b"', 3),
  });
  const mm = (m.contents as { value: string }).value;
  assert.match(mm, /152,064/);
  assert.match(mm, /7\.62B/);
});

test('signature help inside jsd(...)', async () => {
  const s = await client.request<SignatureHelp>('textDocument/signatureHelp', {
    textDocument: { uri },
    position: pos('beta = 0.5', 7),
  });
  assert.match(s.signatures[0]!.label, /^jsd\(beta/);
  assert.equal(s.activeParameter, 0);
});

test('definition, references, prepareRename and rename of a stage', async () => {
  const d = await client.request<Location[]>('textDocument/definition', {
    textDocument: { uri },
    position: pos('init = warmup', 8),
  });
  assert.deepEqual(d[0]!.range.start, pos('warmup {', 0));
  const refs = await client.request<Location[]>('textDocument/references', {
    textDocument: { uri },
    position: pos('warmup {', 1),
    context: { includeDeclaration: true },
  });
  assert.equal(refs.length, 2);
  const pr = await client.request<{ placeholder: string }>('textDocument/prepareRename', {
    textDocument: { uri },
    position: pos('warmup {', 1),
  });
  assert.equal(pr.placeholder, 'warmup');
  const edit = await client.request<WorkspaceEdit>('textDocument/rename', {
    textDocument: { uri },
    position: pos('warmup {', 1),
    newName: 'sft1',
  });
  assert.equal(edit.changes![uri]!.length, 2);
  assert.ok(edit.changes![uri]!.every((e) => e.newText === 'sft1'));
  await assert.rejects(
    client.request('textDocument/rename', { textDocument: { uri }, position: pos('warmup {', 1), newName: 'qwen' }),
    /already/,
  );
});

test('definition of a user reward jumps into the Python file', async () => {
  const d = await client.request<Location[]>('textDocument/definition', {
    textDocument: { uri },
    position: pos('brevity', 2),
  });
  assert.equal(d[0]!.uri, fileUri(join(WS, 'rewards.py')));
  assert.equal(d[0]!.range.start.line, 3);
});

test('document symbols, workspace symbols, folding and selection ranges', async () => {
  const syms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
  assert.equal(syms[0]!.name, 'gsm8k_05b');
  const names = syms[0]!.children!.filter((c) => c.kind !== 7).map((c) => c.name);
  assert.deepEqual(names, ['qwen', 'r1', 'cot', 'train', 'warmup', 'distill', 'grpo', 'test']);
  const ws = await client.request<SymbolInformation[]>('workspace/symbol', { query: 'dist' });
  assert.ok(ws.some((s) => s.name === 'distill' && s.location.uri === uri));
  const folds = await client.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
  assert.ok(folds.some((f) => f.startLine === pos('pipeline').line));
  assert.ok(folds.some((f) => f.startLine === pos('lora {').line && f.endLine === pos('alpha = 32').line));
  const sel = await client.request<SelectionRange[]>('textDocument/selectionRange', {
    textDocument: { uri },
    positions: [pos('lr = 4e-5', 6)],
  });
  let depth = 0;
  for (let r: SelectionRange | undefined = sel[0]; r; r = r.parent) depth++;
  assert.ok(depth >= 5, `selection chain too short: ${depth}`);
});

test('formatting: document and range', async () => {
  const u = fileUri(join(WS, 'scratch-fmt.srlm'));
  const messy = 'pipeline p {\n      seed=1\n  model m {source="./models/student"}\n}\n';
  await client.open(u, messy);
  const edits = await client.request<TextEdit[]>('textDocument/formatting', {
    textDocument: { uri: u },
    options: { tabSize: 2, insertSpaces: true },
  });
  assert.ok(edits.length > 0);
  assert.ok(edits.some((e) => e.newText.includes('seed = 1')));
  const ranged = await client.request<TextEdit[]>('textDocument/rangeFormatting', {
    textDocument: { uri: u },
    range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } },
    options: { tabSize: 2, insertSpaces: true },
  });
  assert.ok(ranged.length >= 1 && ranged.every((e) => e.range.start.line <= 1));
  assert.ok(!ranged.some((e) => e.newText.includes('source')), 'range formatting stays inside its lines');
  await client.close(u);
});

test('semantic tokens classify keywords, names, fields and references', async () => {
  const st = await client.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
  const legend = (client.initializeResult.capabilities.semanticTokensProvider as { legend: { tokenTypes: string[] } })
    .legend.tokenTypes;
  const decoded: { line: number; char: number; len: number; type: string }[] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < st.data.length; i += 5) {
    line += st.data[i]!;
    char = st.data[i]! === 0 ? char + st.data[i + 1]! : st.data[i + 1]!;
    decoded.push({ line, char, len: st.data[i + 2]!, type: legend[st.data[i + 3]!]! });
  }
  const typeAt = (p: { line: number; character: number }): string | undefined =>
    decoded.find((d) => d.line === p.line && d.char === p.character)?.type;
  assert.equal(typeAt(pos('pipeline')), 'keyword');
  assert.equal(typeAt(pos('sft warmup')), 'type');
  assert.equal(typeAt(pos('warmup {')), 'class');
  assert.equal(typeAt(pos('epochs = 4')), 'property');
  assert.equal(typeAt(pos('init = warmup', 7)), 'variable');
  assert.equal(typeAt(pos('grpo\n    reward', 0)), 'enumMember');
  assert.equal(typeAt(pos('# Fixture')), 'comment');
});

test('document links point at dataset files, reward files and model config.json', async () => {
  const links = await client.request<DocumentLink[]>('textDocument/documentLink', { textDocument: { uri } });
  const targets = links.map((l) => l.target);
  assert.ok(targets.includes(fileUri(join(WS, 'data/cot.jsonl'))));
  assert.ok(targets.includes(fileUri(join(WS, 'rewards.py'))));
  assert.ok(targets.includes(fileUri(join(WS, 'models/student/config.json'))));
});

test('code actions: the did-you-mean fix of an unknown field', async () => {
  const u = fileUri(join(WS, 'scratch-fix.srlm'));
  const src = 'pipeline p {\n  sed = 1\n}\n';
  await client.open(u, src);
  const diags = await client.waitForDiagnostics(u, (p) => p.diagnostics.some((d) => d.code === 'SRLM012'));
  const d = diags.diagnostics.find((x) => x.code === 'SRLM012')!;
  const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri: u },
    range: d.range,
    context: { diagnostics: [d] },
  });
  const fix = actions.find((a) => a.edit?.changes?.[u]?.some((e) => e.newText === 'seed'));
  assert.ok(fix, `no seed fix among ${actions.map((a) => a.title).join('; ')}`);
  assert.equal(fix.kind, 'quickfix');
  await client.close(u);
});

test('inlay hints: defaults and a per-stage estimate', async () => {
  const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
    textDocument: { uri },
    range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } },
  });
  const ls = hints.map((h) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')));
  assert.ok(
    ls.some((l) => /^≈ 2\.2M trained · .* GiB peak/.test(l)),
    ls.join('\n'),
  );
  assert.ok(
    ls.some((l) => l.startsWith('defaults:') && l.includes('prompts_per_step 8 · batch_size 8 ·')),
    'rl batch_size derived from group',
  );
});

test('code lens: run pipeline and run from each stage', async () => {
  const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
  assert.equal(lenses[0]!.command!.command, 'srlm.runPipeline');
  assert.deepEqual(lenses[0]!.command!.arguments, [uri]);
  const stages = lenses.filter((l) => l.command!.command === 'srlm.runFromStage').map((l) => l.command!.arguments![1]);
  assert.deepEqual(stages, ['warmup', 'distill', 'grpo']);
});

test('unopened files and out-of-range positions get empty answers; a negative line is InvalidParams', async () => {
  const ghost = fileUri(join(WS, 'not-open.srlm'));
  assert.deepEqual(
    await client.request('textDocument/completion', {
      textDocument: { uri: ghost },
      position: { line: 0, character: 0 },
    }),
    [],
  );
  assert.equal(
    await client.request('textDocument/hover', { textDocument: { uri: ghost }, position: { line: 0, character: 0 } }),
    null,
  );
  assert.deepEqual(
    await client.request('textDocument/completion', { textDocument: { uri }, position: { line: 9999, character: 3 } }),
    [],
  );
  assert.equal(
    await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 999 } }),
    null,
  );
  // Not a position at all (LSP lines are unsigned): the params are invalid, which is not an internal error.
  await assert.rejects(
    client.request('textDocument/definition', { textDocument: { uri }, position: { line: -1, character: 0 } }),
    (e: { code?: number }) => e.code === -32602,
  );
});
