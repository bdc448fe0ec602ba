// Inlay hints: after a stage's opening brace, its estimate (trainable parameters, peak memory, time); after
// the opening brace of every block, the effective defaults of important fields left unset; after a field
// whose written value is replaced by a derived default (`batch_size = 0`), the value it resolves to.
import { defaultText, resolveDefaults, type BlockConfig, type JsonValue } from '../core';
import { formatBytes, formatCount, formatDuration } from '../core/estimate';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { estimateMarkdown, layoutText, stageEstimate } from './estimates';
import type { IdeInlayHint, Span } from './types';

/** Fields whose defaults matter enough to show when unset, per block kind. */
const SHOWN: Record<string, string[]> = {
  sft: ['lr', 'epochs', 'batch_size', 'max_len'],
  kd: ['lr', 'epochs', 'batch_size', 'max_len', 'loss', 'temperature'],
  rl: [
    'algorithm',
    'lr',
    'steps',
    'group',
    'prompts_per_step',
    'batch_size',
    'kl',
    'loss_agg',
    'epsilon_high',
    'max_new_tokens',
  ],
  eval: ['metrics', 'max_new_tokens', 'temperature'],
  lora: ['rank', 'alpha'],
};

function render(v: JsonValue): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    // The plan form of `jsd(beta = 0.5)` is { name, beta }.
    const o = v as Record<string, JsonValue>;
    if (typeof o.name === 'string') return o.beta !== undefined ? `${o.name}(beta = ${render(o.beta)})` : o.name;
    return JSON.stringify(v);
  }
  if (typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3) return v.toExponential();
  return String(v);
}

function defaultsHint(cfg: BlockConfig, kindKey: string, at: number): IdeInlayHint | undefined {
  const shown = SHOWN[kindKey];
  if (!shown) return undefined;
  const resolved = resolveDefaults(cfg.spec, cfg.values);
  const parts: string[] = [];
  for (const name of shown) {
    if (cfg.attributes.has(name)) continue;
    const f = cfg.spec.fields.find((x) => x.name === name);
    if (!f) continue;
    const v = resolved[name];
    if (v === undefined) continue;
    parts.push(`${name} ${render(v)}`);
  }
  if (parts.length === 0) return undefined;
  return {
    offset: at,
    label: `defaults: ${parts.join(' · ')}`,
    kind: 'default',
    tooltip: 'Effective values of fields not written here (schema defaults).',
  };
}

function inside(span: Span, o: number): boolean {
  return o >= span.start && o <= span.end;
}

export function inlayHints(doc: IdeDocument, range: Span, env: IdeEnv): IdeInlayHint[] {
  const out: IdeInlayHint[] = [];
  for (const sym of doc.model.symbols) {
    const cfg = doc.model.configs.get(sym);
    const br = sym.block.braces;
    if (!cfg || !br || !inside(range, br.open)) continue;
    if (sym.kind === 'stage') {
      const v = stageEstimate(doc, sym, env);
      if (v) {
        const e = v.estimate;
        const time = e.time
          ? ` · ~${formatDuration(e.time.seconds)} (${v.deviceDetected ? '' : 'assumed '}${v.device.name})`
          : '';
        const layout = layoutText(e);
        out.push({
          offset: br.open,
          label: `≈ ${formatCount(e.trainableParams)} trained · ${formatBytes(e.memory.peakWithOverhead)} peak${layout ? ` (${layout})` : ''}${time}`,
          kind: 'estimate',
          tooltip: estimateMarkdown(v),
        });
      }
    }
    const kindKey = sym.kind === 'stage' ? (sym.stageKind ?? '') : sym.kind;
    const d = defaultsHint(cfg, kindKey, br.open);
    if (d) out.push(d);
    for (const [kind, nested] of cfg.nested) {
      const nbr = nested.block.braces;
      if (!nbr || !inside(range, nbr.open)) continue;
      const nd = defaultsHint(nested, kind, nbr.open);
      if (nd) out.push(nd);
    }
    // A value standing for "derive me" (batch_size = 0) shows what it becomes.
    const resolved = resolveDefaults(cfg.spec, cfg.values);
    for (const f of cfg.spec.fields) {
      if (!f.derive || !cfg.attributes.has(f.name)) continue;
      const written = cfg.values[f.name];
      const eff = resolved[f.name];
      const attr = cfg.attributes.get(f.name)!;
      if (eff !== undefined && written !== eff && inside(range, attr.node.end)) {
        out.push({
          offset: attr.node.end,
          label: `→ ${render(eff)}`,
          kind: 'default',
          tooltip: `Derived default: ${defaultText(f) ?? ''}`,
        });
      }
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}
