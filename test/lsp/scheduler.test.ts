// The diagnostics scheduler: debounce, cancellation by newer changes and by close, one publication when the
// file checks are quick, two when they are slow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticsScheduler } from '../../server/src/lsp/diagnosticsScheduler';

function setup(opts: { slowMs: number; delayMs?: number }) {
  const published: { uri: string; version: number | undefined; d: string[] }[] = [];
  let version = 1;
  let starts = 0;
  const s = new DiagnosticsScheduler<string>({
    delayMs: opts.delayMs ?? 20,
    version: () => version,
    start: () => {
      starts++;
      const v = version;
      return {
        fast: () => [`fast@${v}`],
        slow: (isCancelled) => new Promise((r) => setTimeout(() => r(isCancelled() ? [] : [`slow@${v}`]), opts.slowMs)),
      };
    },
    publish: (uri, v, d) => published.push({ uri, version: v, d }),
    onError: (_u, e) => {
      throw e;
    },
  });
  return {
    s,
    published,
    bump: () => version++,
    starts: () => starts,
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst of changes runs once, after the pause', async () => {
  const t = setup({ slowMs: 1 });
  for (let i = 0; i < 5; i++) {
    t.bump();
    t.s.schedule('u');
    await wait(5);
  }
  assert.equal(t.starts(), 0);
  await wait(80);
  assert.equal(t.starts(), 1);
  assert.ok(t.published.every((p) => p.version === 6));
  assert.deepEqual(t.published[t.published.length - 1]!.d, ['fast@6', 'slow@6']);
});

test('once file diagnostics exist, quick checks arrive in the same publication (no flicker)', async () => {
  const t = setup({ slowMs: 1, delayMs: 0 });
  t.s.schedule('u', 0);
  await wait(40);
  assert.deepEqual(
    t.published.map((p) => p.d),
    [['fast@1'], ['fast@1', 'slow@1']],
  );
  t.bump();
  t.s.schedule('u', 0);
  await wait(40);
  assert.deepEqual(
    t.published.slice(2).map((p) => p.d),
    [['fast@2', 'slow@2']],
  );
});

test('slow file checks: text diagnostics first, then both', async () => {
  const t = setup({ slowMs: 80, delayMs: 0 });
  t.s.schedule('u', 0);
  await wait(150);
  assert.deepEqual(
    t.published.map((p) => p.d),
    [['fast@1'], ['fast@1', 'slow@1']],
  );
});

test('a change during slow checks cancels the stale publication', async () => {
  const t = setup({ slowMs: 60, delayMs: 0 });
  t.s.schedule('u', 0);
  await wait(40);
  t.bump();
  t.s.schedule('u', 0);
  await wait(150);
  assert.ok(!t.published.some((p) => p.d.includes('slow@1')), JSON.stringify(t.published));
  assert.deepEqual(t.published[t.published.length - 1]!.d, ['fast@2', 'slow@2']);
});

test('closing clears diagnostics and cancels pending work', async () => {
  const t = setup({ slowMs: 1, delayMs: 30 });
  t.s.schedule('u');
  t.s.close('u');
  await wait(60);
  assert.deepEqual(t.published, [{ uri: 'u', version: undefined, d: [] }]);
  t.s.dispose();
});
