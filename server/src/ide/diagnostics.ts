// Diagnostics in two speeds. `fastDiagnostics` are the core's text-only ones (already computed with the
// analysis). `slowDiagnostics` run the environment checks — `environmentChecks`, the one list that the language
// server, `srlm check` and the plan compiler (so `srlm run`) all run — through a host backed by the IDE's cached
// file reads: the core's model-folder and reward-file checks, datasets in every format and in the hub cache,
// the memory estimate against the GPU, the teacher/student vocabulary (padding-aware, hub-cache aware), the
// chat template, hub models missing from the cache, lengths beyond the model's positions, and generation
// lengths that truncate reference completions.
import {
  Codes,
  check,
  isLocalSource,
  modelFileCheck,
  rewardFileCheck,
  type CheckHost,
  type CheckResult,
  type Diagnostic,
  type HostCheck,
  type RawDiagnostic,
  type BlockSymbol,
} from '../core';
import { formatBytes } from '../core/estimate';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { effectiveValues, layoutText, modelOf, rootModel, stageEstimate } from './estimates';
import { datasetCheck, pullCommand } from './datasetCheck';
import { lengthCheck } from './lengthCheck';
import { compareVocab, expandPath } from './modelFacts';
import { datasetSampleOf } from './workspaceFiles';

export type IdeDiagnostic = Diagnostic;

export function fastDiagnostics(doc: IdeDocument): IdeDiagnostic[] {
  return doc.model.diagnostics;
}

export function serverHost(doc: IdeDocument, env: IdeEnv): CheckHost {
  const base = doc.dir ?? env.workspaceFolders[0] ?? process.cwd();
  return {
    resolve: (p) => expandPath(p, base),
    stat: async (p) => env.statFull(p),
    readText: async (p, maxBytes) => env.readHead(p, maxBytes)?.text,
  };
}

function valueSpan(
  doc: IdeDocument,
  sym: BlockSymbol,
  field: string,
  nested?: string,
): { start: number; end: number } | undefined {
  let cfg = doc.model.configs.get(sym);
  if (nested) cfg = cfg?.nested.get(nested);
  const a = cfg?.attributes.get(field);
  const v = a?.value;
  return v ? { start: v.start, end: v.end } : a ? { start: a.node.start, end: a.node.end } : undefined;
}

/** Text inserted as a new first line of a block's body, indented one level deeper than the block. */
function insertField(
  doc: IdeDocument,
  sym: BlockSymbol,
  text: string,
): { span: { start: number; end: number }; newText: string } | undefined {
  const br = sym.block.braces;
  if (!br) return undefined;
  const li = doc.lineIndex;
  const line = li.positionAt(sym.block.node.start).line;
  const indent = /^\s*/.exec(li.lineText(line))![0];
  return { span: { start: br.open, end: br.open }, newText: `\n${indent}  ${text}` };
}

export function memoryCheck(doc: IdeDocument, env: IdeEnv): HostCheck {
  return async () => {
    const out: RawDiagnostic[] = [];
    for (const sym of doc.model.symbols) {
      if (sym.kind !== 'stage') continue;
      const v = stageEstimate(doc, sym, env);
      if (!v?.limit) continue;
      const m = v.estimate.memory;
      if (m.peakWithOverhead <= v.limit.bytes) continue;
      const layout = layoutText(v.estimate);
      const values = effectiveValues(doc, sym);
      const fixes: NonNullable<RawDiagnostic['fixes']> = [];
      const tips: string[] = [];
      if (values.grad_checkpointing !== true && !doc.model.configs.get(sym)?.attributes.has('grad_checkpointing')) {
        const e = insertField(doc, sym, 'grad_checkpointing = true');
        if (e) fixes.push({ title: 'Enable gradient checkpointing', edits: [e], preferred: true });
        tips.push('grad_checkpointing = true');
      }
      if (values.lora === undefined && !doc.model.configs.get(sym)?.nested.has('lora')) {
        const e = insertField(doc, sym, 'lora { rank = 16 }');
        if (e) fixes.push({ title: 'Train a LoRA adapter instead of all weights', edits: [e] });
        tips.push('a lora { } block');
      }
      // Replicas each hold the whole policy and its optimizer state; sharding divides those by the ranks.
      if (v.estimate.ranks > 1 && !v.estimate.sharded && values.lora === undefined) tips.push('sharding = fsdp');
      tips.push(sym.stageKind === 'rl' ? 'a smaller batch_size or max_new_tokens' : 'a smaller batch_size or max_len');
      out.push({
        info: Codes.memory,
        message: `estimated peak GPU memory ${formatBytes(m.peakWithOverhead)} (${m.peakPhase}${layout ? `, ${layout}` : ''}) exceeds ${formatBytes(v.limit.bytes)} (${v.limit.from === 'nvidia-smi' ? `${env.gpu?.name ?? 'GPU'}, nvidia-smi` : v.limit.from}); try ${tips.join(', ')}`,
        span: sym.nameSpan,
        fixes,
      });
    }
    return out;
  };
}

export function vocabCheck(doc: IdeDocument, env: IdeEnv): HostCheck {
  return async () => {
    const out: RawDiagnostic[] = [];
    for (const sym of doc.model.symbols) {
      if (sym.kind !== 'stage') continue;
      const values = effectiveValues(doc, sym);
      const pairs: { teacher: unknown; nested?: string }[] = [];
      if (sym.stageKind === 'kd') pairs.push({ teacher: values.teacher });
      const kd = values.kd as Record<string, unknown> | undefined;
      if (kd) pairs.push({ teacher: kd.teacher, nested: 'kd' });
      const studentModel = rootModel(doc, sym);
      const student = studentModel ? modelOf(doc, studentModel, env) : undefined;
      for (const p of pairs) {
        const tSym = typeof p.teacher === 'string' ? doc.model.symbolsByName.get(p.teacher) : undefined;
        const teacherModel = rootModel(doc, tSym);
        const teacher = teacherModel ? modelOf(doc, teacherModel, env) : undefined;
        const sv = student?.arch?.vocab;
        const tv = teacher?.arch?.vocab;
        if (sv === undefined || tv === undefined) continue;
        const verdict = compareVocab(sv, tv);
        if (verdict === 'same') continue;
        const span = valueSpan(doc, sym, 'teacher', p.nested) ?? sym.nameSpan;
        out.push(
          verdict === 'padding'
            ? {
                info: Codes.vocabMismatch,
                message: `teacher '${teacherModel!.name}' has ${tv.toLocaleString('en-US')} vocabulary rows, the student '${studentModel!.name}' ${sv.toLocaleString('en-US')}: the same tokenizer padded differently; logits are compared on the first ${Math.min(sv, tv).toLocaleString('en-US')} ids`,
                span,
              }
            : {
                info: Codes.vocabMismatch,
                severity: 'error',
                message: `teacher '${teacherModel!.name}' (${tv.toLocaleString('en-US')} tokens) and student '${studentModel!.name}' (${sv.toLocaleString('en-US')} tokens) use different tokenizers; token-level distillation needs the same vocabulary`,
                span,
              },
        );
      }
    }
    return out;
  };
}

export function chatTemplateCheck(doc: IdeDocument, env: IdeEnv): HostCheck {
  return async () => {
    const out: RawDiagnostic[] = [];
    for (const sym of doc.model.symbols) {
      if (sym.kind !== 'stage' || (sym.stageKind !== 'sft' && sym.stageKind !== 'kd' && sym.stageKind !== 'rl'))
        continue;
      const values = effectiveValues(doc, sym);
      if (values.chat_template === false) continue;
      const model = rootModel(doc, sym);
      // A model block's own `template` replaces the tokenizer's (srlm_engine/templates.py).
      if (model && typeof doc.model.configs.get(model)?.values.template === 'string') continue;
      const facts = model ? modelOf(doc, model, env) : undefined;
      // Only a tokenizer actually read from disk can be said to lack a template.
      if (!facts || (facts.where !== 'local' && facts.where !== 'hub-cache') || !facts.hasTokenizerConfig) continue;
      const span = valueSpan(doc, sym, 'init') ?? sym.nameSpan;
      if (!facts.chatTemplate) {
        const e = insertField(doc, sym, 'chat_template = false');
        out.push({
          info: Codes.chatTemplate,
          message: `the tokenizer of '${model!.name}' (${facts.folder}) has no chat template, so chat_template = true silently falls back to plain prompt text; set chat_template = false to say so, or use an instruct tokenizer`,
          span,
          fixes: e ? [{ title: 'Set chat_template = false', edits: [e], preferred: true }] : undefined,
        });
        continue;
      }
      // Completion-only loss masks the prompt as rendered with add_generation_prompt; a template that ignores
      // the flag leaves the assistant header in the completion, where it is trained on.
      if (
        values.completion_only !== false &&
        sym.stageKind !== 'rl' &&
        !/add_generation_prompt/.test(facts.chatTemplate)
      ) {
        out.push({
          info: Codes.chatTemplate,
          message: `the chat template of '${model!.name}' ignores add_generation_prompt, so the assistant header is not part of the masked prompt and completion-only loss trains on it`,
          span,
        });
      }
    }
    return out;
  };
}

export function hubCacheCheck(doc: IdeDocument, env: IdeEnv): HostCheck {
  return async () => {
    const out: RawDiagnostic[] = [];
    for (const sym of doc.model.symbols) {
      if (sym.kind !== 'model') continue;
      const v = doc.model.configs.get(sym)?.values;
      if (!v || typeof v.source !== 'string' || isLocalSource(v.source) || v.weights === 'random') continue;
      const facts = modelOf(doc, sym, env);
      if (!facts || facts.where === 'local' || facts.where === 'hub-cache') continue;
      out.push({
        info: Codes.modelConfig,
        severity: 'warning',
        message: `hub model '${v.source}' is not in the Hugging Face cache (${env.hubCache()}); \`srlm run\` fetches it before the first stage, and \`${pullCommand(doc)}\` fetches it now (for machines whose runs have no internet)`,
        span: valueSpan(doc, sym, 'source') ?? sym.nameSpan,
      });
    }
    return out;
  };
}

import { CHARS_PER_TOKEN } from './estimates';

export function truncationCheck(doc: IdeDocument, env: IdeEnv): HostCheck {
  return async () => {
    const out: RawDiagnostic[] = [];
    for (const sym of doc.model.symbols) {
      if (sym.kind !== 'stage' && sym.kind !== 'eval') continue;
      const values = effectiveValues(doc, sym);
      const maxNew = values.max_new_tokens;
      if (typeof maxNew !== 'number') continue;
      if (
        sym.stageKind === 'sft' ||
        (sym.stageKind === 'kd' && !(typeof values.on_policy === 'number' && values.on_policy > 0))
      )
        continue;
      const data = typeof values.data === 'string' ? doc.model.symbolsByName.get(values.data) : undefined;
      if (!data) continue;
      const col = doc.model.configs.get(data)?.values.completion;
      if (typeof col !== 'string') continue;
      const sample = datasetSampleOf(doc, data, env);
      const lens = (sample?.rows ?? [])
        .map((r) => r.value[col])
        .filter((x): x is string => typeof x === 'string')
        .map((s) => s.length / CHARS_PER_TOKEN);
      if (lens.length < 4) continue;
      const over = lens.filter((l) => l > maxNew).length;
      if (over * 2 <= lens.length) continue;
      const sorted = [...lens].sort((a, b) => a - b);
      const median = Math.round(sorted[Math.floor(sorted.length / 2)]!);
      out.push({
        info: Codes.truncation,
        message: `${over} of ${lens.length} sampled reference completions are longer than max_new_tokens = ${maxNew} (median ≈ ${median} tokens at ${CHARS_PER_TOKEN} characters per token); generations will be cut before the answer`,
        span: valueSpan(doc, sym, 'max_new_tokens') ?? sym.nameSpan,
      });
    }
    return out;
  };
}

/** The core's model-folder check minus its vocabulary comparison, which `vocabCheck` replaces with a
 * padding-aware one that also reads models from the Hugging Face cache. */
const modelFolderCheck: HostCheck = async (ctx) =>
  (await modelFileCheck(ctx)).filter((d) => d.info.code !== Codes.vocabMismatch.code);

/** Every check that reads the environment (files, the hub cache, the GPU): the one list all front ends run. */
export function environmentChecks(doc: IdeDocument, env: IdeEnv): HostCheck[] {
  return [
    datasetCheck(doc, env),
    modelFolderCheck,
    rewardFileCheck,
    vocabCheck(doc, env),
    chatTemplateCheck(doc, env),
    hubCacheCheck(doc, env),
    lengthCheck(doc, env),
    truncationCheck(doc, env),
    memoryCheck(doc, env),
  ];
}

/**
 * Text and environment diagnostics of a document, sorted by position: what `srlm check` prints. `extra` checks
 * run after the shared list: ones only a host with more reach can make (`srlm check` asks the engine's Python
 * about `report_to` back-ends, runtime/src/supervisor/sinksEnv.ts).
 */
export function checkDocument(
  doc: IdeDocument,
  env: IdeEnv,
  isCancelled: () => boolean = () => false,
  extra: readonly HostCheck[] = [],
): Promise<CheckResult> {
  // A check skipped because the document changed yields nothing; the scheduler drops the run anyway.
  const guarded = [...environmentChecks(doc, env), ...extra].map(
    (hc): HostCheck =>
      async (ctx) =>
        isCancelled() ? [] : hc(ctx),
  );
  return check(doc.text, { host: serverHost(doc, env), hostChecks: guarded, document: doc.model });
}

export async function slowDiagnostics(
  doc: IdeDocument,
  env: IdeEnv,
  isCancelled: () => boolean = () => false,
): Promise<IdeDiagnostic[]> {
  const result = await checkDocument(doc, env, isCancelled);
  const text = new Set(doc.model.diagnostics);
  const slow = result.diagnostics.filter((d) => !text.has(d));
  doc.slowDiagnostics = slow;
  return slow;
}
