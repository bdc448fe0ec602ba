// Per-stage estimates from the document: follow `init` (and `teacher`) to a model, read its architecture,
// take the stage's effective field values, and ask the estimator. Also decides the GPU memory to compare
// against: the pipeline's `gpu_memory`, else the detected GPU, else the editor setting.
import {
  DEFAULT_DEVICE,
  GIB,
  type DeviceProfile,
  type ModelArch,
  type StageEstimate,
  deviceProfileFor,
  estimateStage,
  formatBytes,
  formatCount,
  formatDuration,
} from '../core/estimate';
import { blockSpec, resolveDefaults } from '../core/schema/lookup';
import type { JsonValue } from '../core/schema/types';
import type { BlockSymbol } from '../core/semantics/binder';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { modelFacts, type ModelFacts } from './modelFacts';
import { datasetSampleOf } from './workspaceFiles';

/** About 3.5 characters per token for English and arithmetic with BPE vocabularies of this size. */
export const CHARS_PER_TOKEN = 3.5;
/** Chat-template tokens around a prompt (role headers, system prompt of Qwen's default template). */
const TEMPLATE_TOKENS = 24;

export interface StageEstimateView {
  stage: BlockSymbol;
  estimate: StageEstimate;
  policy: ModelFacts;
  device: DeviceProfile;
  deviceDetected: boolean;
  /** Bytes available on the GPU to compare with, and where that number came from. */
  limit?: { bytes: number; from: 'gpu_memory' | 'nvidia-smi' | 'setting' };
}

function symbolNamed(doc: IdeDocument, name: unknown): BlockSymbol | undefined {
  return typeof name === 'string' ? doc.model.symbolsByName.get(name) : undefined;
}

const rootMemo = new WeakMap<IdeDocument, Map<BlockSymbol, BlockSymbol | undefined>>();

/** The model a stage (or a model) ultimately starts from, following `init` through earlier stages. Memoised
 * per document, so a long chain of stages costs linear time, not quadratic. */
export function rootModel(doc: IdeDocument, start: BlockSymbol | undefined): BlockSymbol | undefined {
  if (!start) return undefined;
  let memo = rootMemo.get(doc);
  if (!memo) {
    memo = new Map();
    rootMemo.set(doc, memo);
  }
  if (memo.has(start)) return memo.get(start);
  const path: BlockSymbol[] = [];
  const seen = new Set<BlockSymbol>();
  let cur: BlockSymbol | undefined = start;
  let found: BlockSymbol | undefined;
  while (cur && !seen.has(cur)) {
    if (memo.has(cur)) {
      found = memo.get(cur);
      break;
    }
    seen.add(cur);
    path.push(cur);
    if (cur.kind === 'model') {
      found = cur;
      break;
    }
    if (cur.kind !== 'stage') break;
    cur = symbolNamed(doc, doc.model.configs.get(cur)?.values.init);
  }
  for (const p of path) memo.set(p, found);
  return found;
}

/** Per document version (and environment generation for file facts): every check and hint asks again. */
const factsMemo = new WeakMap<IdeDocument, { generation: number; facts: Map<BlockSymbol, ModelFacts | undefined> }>();
const valuesMemo = new WeakMap<IdeDocument, Map<BlockSymbol, Record<string, JsonValue>>>();

export function modelOf(doc: IdeDocument, model: BlockSymbol, env: IdeEnv): ModelFacts | undefined {
  let m = factsMemo.get(doc);
  if (!m || m.generation !== env.generation) {
    m = { generation: env.generation, facts: new Map() };
    factsMemo.set(doc, m);
  }
  if (m.facts.has(model)) return m.facts.get(model);
  const v = doc.model.configs.get(model)?.values;
  const facts =
    v && typeof v.source === 'string'
      ? modelFacts(env, v.source, doc.dir, typeof v.revision === 'string' ? v.revision : 'main')
      : undefined;
  m.facts.set(model, facts);
  return facts;
}

export function effectiveValues(doc: IdeDocument, sym: BlockSymbol): Record<string, JsonValue> {
  let m = valuesMemo.get(doc);
  if (!m) {
    m = new Map();
    valuesMemo.set(doc, m);
  }
  let v = m.get(sym);
  if (!v) {
    v = computeEffectiveValues(doc, sym);
    m.set(sym, v);
  }
  return v;
}

function computeEffectiveValues(doc: IdeDocument, sym: BlockSymbol): Record<string, JsonValue> {
  const cfg = doc.model.configs.get(sym);
  if (!cfg) return {};
  const out: Record<string, JsonValue> = resolveDefaults(cfg.spec, cfg.values);
  for (const [kind, nested] of cfg.nested) {
    const spec = blockSpec(kind) ?? nested.spec;
    out[kind] = resolveDefaults(spec, nested.values);
  }
  return out;
}

export function gpuLimit(doc: IdeDocument, env: IdeEnv): StageEstimateView['limit'] {
  const gm = doc.model.pipeline?.values.gpu_memory;
  if (typeof gm === 'number' && gm > 0) return { bytes: gm * GIB, from: 'gpu_memory' };
  if (env.gpu) return { bytes: env.gpu.memoryBytes, from: 'nvidia-smi' };
  if (env.gpuMemoryGiBSetting) return { bytes: env.gpuMemoryGiBSetting * GIB, from: 'setting' };
  return undefined;
}

function archOf(
  doc: IdeDocument,
  sym: BlockSymbol | undefined,
  env: IdeEnv,
): { arch: ModelArch; dtype?: string } | undefined {
  const model = rootModel(doc, sym);
  if (!model) return undefined;
  const facts = modelOf(doc, model, env);
  if (!facts?.arch) return undefined;
  const dtype = doc.model.configs.get(model)?.values.dtype;
  return { arch: facts.arch, dtype: typeof dtype === 'string' ? dtype : undefined };
}

/** Estimates per document version and environment generation: inlay hints, hover and the memory check
 * all ask for the same stages. */
const memo = new WeakMap<IdeDocument, { generation: number; views: Map<BlockSymbol, StageEstimateView | undefined> }>();

export function stageEstimate(doc: IdeDocument, stage: BlockSymbol, env: IdeEnv): StageEstimateView | undefined {
  let m = memo.get(doc);
  if (!m || m.generation !== env.generation) {
    m = { generation: env.generation, views: new Map() };
    memo.set(doc, m);
  }
  if (m.views.has(stage)) return m.views.get(stage);
  const v = computeStageEstimate(doc, stage, env);
  m.views.set(stage, v);
  return v;
}

function computeStageEstimate(doc: IdeDocument, stage: BlockSymbol, env: IdeEnv): StageEstimateView | undefined {
  if (stage.kind !== 'stage') return undefined;
  const kind = stage.stageKind;
  if (kind !== 'sft' && kind !== 'kd' && kind !== 'rl') return undefined;
  const values = effectiveValues(doc, stage);
  const model = rootModel(doc, stage);
  if (!model) return undefined;
  const policy = modelOf(doc, model, env);
  if (!policy?.arch) return undefined;
  const mv = doc.model.configs.get(model)?.values ?? {};
  const teacherRef = kind === 'kd' ? values.teacher : (values.kd as Record<string, JsonValue> | undefined)?.teacher;
  const teacher = teacherRef !== undefined ? archOf(doc, symbolNamed(doc, teacherRef), env) : undefined;
  const data = symbolNamed(doc, values.data);
  const sample = data ? datasetSampleOf(doc, data, env) : undefined;
  let promptLen: number | undefined;
  let rowTokens: number | undefined;
  const dv = data ? doc.model.configs.get(data)?.values : undefined;
  const promptCol = typeof dv?.prompt === 'string' ? dv.prompt : 'prompt';
  const completionCol = typeof dv?.completion === 'string' ? dv.completion : undefined;
  if (sample && sample.rows.length > 0) {
    const tokens = (v: unknown): number => (typeof v === 'string' ? v.length / CHARS_PER_TOKEN : 0);
    const prompts = sample.rows.map((r) => tokens(r.value[promptCol]) + TEMPLATE_TOKENS);
    promptLen = Math.round(Math.max(...prompts));
    if (completionCol) {
      rowTokens = Math.max(...sample.rows.map((r, i) => prompts[i]! + tokens(r.value[completionCol])));
    }
  }
  const device = deviceProfileFor(env.gpu?.name) ?? DEFAULT_DEVICE;
  const settings = doc.model.pipeline?.values ?? {};
  const { precision, processes, sharding } = settings;
  const estimate = estimateStage(
    {
      kind,
      config: values,
      policy: policy.arch,
      policyDtype: typeof mv.dtype === 'string' ? mv.dtype : undefined,
      attention: typeof mv.attn === 'string' ? mv.attn : undefined,
      teacher: teacher?.arch,
      teacherDtype: teacher?.dtype,
      precision: typeof precision === 'string' ? precision : undefined,
      promptLen,
      rowTokens,
      datasetRows: sample?.rowCount,
      processes: typeof processes === 'number' ? processes : undefined,
      sharding: typeof sharding === 'string' ? sharding : undefined,
    },
    device,
  );
  return { stage, estimate, policy, device, deviceDetected: env.gpu !== undefined, limit: gpuLimit(doc, env) };
}

/** How the memory figures divide over GPUs, for the hint and the hover; undefined in one process. */
export function layoutText(e: StageEstimate): string | undefined {
  if (e.ranks <= 1) return undefined;
  return e.sharded ? `per GPU, FSDP over ${e.ranks}` : `per GPU, ${e.ranks} replicas`;
}

export function estimateMarkdown(v: StageEstimateView): string {
  const e = v.estimate;
  const m = e.memory;
  const rows: [string, number][] = [
    ['weights', m.weights],
    ['fp32 master weights', m.masterWeights],
    ['optimizer moments', m.optimizer],
    ['gradients', m.gradients],
    ['activations', m.activations],
    ['logits and loss', m.logits],
    ['teacher', m.teacher],
    ['reference model', m.reference],
    ['KV cache (rollouts)', m.kvCache],
  ];
  const lines = [
    `**Estimate** for ${v.policy.source} (${formatCount(e.totalParams)} parameters, ${formatCount(e.trainableParams)} trained)`,
    '',
    '| memory | |',
    '|---|---|',
    ...rows.filter(([, b]) => b > 0).map(([k, b]) => `| ${k} | ${formatBytes(b)} |`),
    `| **peak** (${m.peakPhase}) | **${formatBytes(m.peak)}** |`,
    `| with CUDA context | ${formatBytes(m.peakWithOverhead)} |`,
  ];
  if (e.ranks > 1) {
    lines.push(
      '',
      e.sharded
        ? `Memory is per GPU: FSDP over ${e.ranks} processes shards weights, gradients and optimizer state; ` +
            'activations, logits and frozen models are whole on each.'
        : `Memory is per GPU: each of the ${e.ranks} processes holds a full replica.`,
    );
  }
  if (v.limit) lines.push('', `GPU memory: ${formatBytes(v.limit.bytes)} (${v.limit.from})`);
  if (e.time) {
    lines.push(
      '',
      `Time: about ${formatDuration(e.time.seconds)} for ${e.steps} steps on ${v.deviceDetected ? 'this' : 'an assumed'} ${v.device.name}`,
    );
  } else lines.push('', 'Time: unknown (give `steps`, or a dataset file the editor can count)');
  if (e.assumptions.length > 0) lines.push('', `Assumes ${e.assumptions.join('; ')}. See docs/memory-estimator.md.`);
  return lines.join('\n');
}
