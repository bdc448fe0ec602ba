// Language server benchmark over stdio against the bundled server (dist/server.js), as an editor sees it:
//   1. completion latency at every position of a 1,000-line pipeline (analysis cached), and right after an
//      edit (analysis recomputed), p50/p95;
//   2. time from didChange to the published diagnostics, debounce set to 0 (so it is excluded);
//   3. server resident memory with 50 open 1,000-line files, each analysed and checked.
// Usage: npx tsx bench/lsp/lsp-bench.ts [--lines 1000] [--files 50] [--stride 1] [--memory-only]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePipeline } from '../core/generate';
import { analyze } from '../../server/src/core';
import { LspClient, ROOT, fileUri, positionAt } from '../../test/lsp/harness';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

class SkipLatency extends Error {}

async function main(): Promise<void> {
  const lines = arg('lines', 1000);
  const files = arg('files', 50);
  const stride = arg('stride', 1);
  const text = generatePipeline(lines);
  const dir = join(ROOT, 'bench/lsp');
  const client = await LspClient.start({
    rootDir: dir,
    initializationOptions: { diagnosticsDelayMs: 0, detectGpu: false },
  });
  const results: Record<string, unknown> = { lines: text.split('\n').length };
  const memoryOnly = process.argv.includes('--memory-only');
  try {
    if (memoryOnly) throw new SkipLatency();
    const uri = fileUri(join(dir, 'bench-main.srlm'));
    await client.open(uri, text);
    await client.waitForDiagnostics(uri, () => true, 30000, 0);

    // 1a. Completion at every position (every `stride`-th character), analysis cached.
    const lat: number[] = [];
    let items = 0;
    for (let o = 0; o <= text.length; o += stride) {
      const t0 = performance.now();
      const r = await client.request<unknown[]>('textDocument/completion', {
        textDocument: { uri },
        position: positionAt(text, o),
      });
      lat.push(performance.now() - t0);
      items += r.length;
    }
    results.completion = {
      requests: lat.length,
      p50_ms: pct(lat, 50),
      p95_ms: pct(lat, 95),
      max_ms: Math.max(...lat),
      items,
    };

    // 1b. Completion right after an edit: the first request re-analyses the file.
    let version = 1;
    let cur = text;
    const afterEdit: number[] = [];
    const change: number[] = [];
    for (let k = 0; k < 60; k++) {
      // Type a character at the end of a value line, then remove it on the next round.
      const line = 20 + (((k - (k % 2)) * 37) % (lines - 40));
      const lineText = cur.split('\n')[line]!;
      const pos = { line, character: lineText.length };
      const insert = k % 2 === 0;
      const edit = insert
        ? { range: { start: pos, end: pos }, text: ' ' }
        : { range: { start: { line, character: lineText.length - 1 }, end: pos }, text: '' };
      const lt = cur.split('\n');
      lt[line] = insert ? lineText + ' ' : lineText.slice(0, -1);
      cur = lt.join('\n');
      version++;
      const before = client.published.get(uri)?.length ?? 0;
      const t0 = performance.now();
      await client.change(uri, version, [edit]);
      // 2. change → diagnostics (first publication for this version).
      const p = await client.waitForDiagnostics(uri, (x) => x.version === version, 10000, before);
      change.push(p.at - t0);
      const t1 = performance.now();
      await client.request('textDocument/completion', {
        textDocument: { uri },
        position: { line: line + 1, character: 4 },
      });
      afterEdit.push(performance.now() - t1);
    }
    // The first publication after a change already holds the text diagnostics; when the file checks take
    // longer than the grace period they follow in a second one.
    results.change_to_diagnostics = { runs: change.length, p50_ms: pct(change, 50), p95_ms: pct(change, 95) };
    results.completion_after_edit = { runs: afterEdit.length, p50_ms: pct(afterEdit, 50), p95_ms: pct(afterEdit, 95) };
  } catch (e) {
    if (!(e instanceof SkipLatency)) throw e;
  } finally {
    await client.stop();
  }
  // 3. Memory with 50 open files, in a fresh server so earlier phases' garbage does not count.
  const fresh = await LspClient.start({
    rootDir: dir,
    initializationOptions: { diagnosticsDelayMs: 0, detectGpu: false },
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const baseline = rssMiB(fresh.proc.pid!);
    for (let f = 0; f < files; f++) {
      const u = fileUri(join(dir, `bench-${f}.srlm`));
      await fresh.open(u, text.replace('pipeline bench', `pipeline bench${f}`));
    }
    for (let f = 0; f < files; f++) {
      const u = fileUri(join(dir, `bench-${f}.srlm`));
      await fresh.waitForDiagnostics(u, () => true, 60000, 0);
      await fresh.request('textDocument/inlayHint', {
        textDocument: { uri: u },
        range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } },
      });
    }
    // Idle long enough for the server's idle collector (1.5 s), as an editor would be between keystrokes.
    await new Promise((r) => setTimeout(r, 2500));
    const stats = await fresh.request<{ heapUsed: number }>('srlm/serverStats', {});
    results.memory = {
      files,
      rss_mib_idle_server: Math.round(baseline),
      rss_mib: Math.round(rssMiB(fresh.proc.pid!)),
      heap_used_mib: Math.round(stats.heapUsed / 1048576),
    };
  } finally {
    await fresh.stop();
  }
  // The language core's own share of change → diagnostics: analysing this text in this process, warm.

  for (let i = 0; i < 10; i++) analyze(text);
  const an: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    analyze(text);
    an.push(performance.now() - t0);
  }
  results.core_analyze_in_process = { p50_ms: pct(an, 50), p95_ms: pct(an, 95) };
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

void main();
