// Sequence lengths against what the model can embed: a stage's `max_len` (SFT, KD) and the generation length
// of rollouts, on-policy KD samples and evals, where the file sets them, must fit in `max_position_embeddings` of every model involved
// (read from config.json in a local folder or the hub cache; scaled by a RoPE `rope_scaling.factor`).
import { join } from 'node:path';
import { Codes, type BlockSymbol, type HostCheck, type RawDiagnostic } from '../core';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { effectiveValues, modelOf, rootModel } from './estimates';

interface Positions {
  model: BlockSymbol;
  limit: number;
}

function positionsOf(doc: IdeDocument, env: IdeEnv, start: BlockSymbol | undefined): Positions | undefined {
  const model = rootModel(doc, start);
  const facts = model ? modelOf(doc, model, env) : undefined;
  const max = facts?.arch?.maxPositions;
  if (!model || !max) return undefined;
  const cfg = facts.folder ? env.readJson(join(facts.folder, 'config.json')) : undefined;
  const factor = (cfg as { rope_scaling?: { factor?: unknown } } | undefined)?.rope_scaling?.factor;
  return { model, limit: typeof factor === 'number' && factor > 1 ? Math.floor(max * factor) : max };
}

function symbol(doc: IdeDocument, name: unknown): BlockSymbol | undefined {
  return typeof name === 'string' ? doc.model.symbolsByName.get(name) : undefined;
}

export function lengthCheck(doc: IdeDocument, env: IdeEnv): HostCheck {
  return async (ctx) => {
    const out: RawDiagnostic[] = [];
    // Only lengths written in the file: a default above a small model's positions is harmless when the rows are
    // short (the demo's 512-position models keep the 2,048-token default max_len), and the user did not choose it.
    const report = (sym: BlockSymbol, field: string, value: number, p: Positions, what: string): void => {
      const cfg = ctx.config(sym);
      if (!cfg?.attributes.has(field)) return;
      out.push({
        info: Codes.positionLimit,
        message: `${field} = ${value} ${what} exceeds the ${p.limit.toLocaleString('en-US')} positions of model '${p.model.name}' (max_position_embeddings in its config.json); set ${field} to at most ${p.limit}`,
        span: ctx.valueSpan(cfg, field) ?? sym.nameSpan,
      });
    };
    const stages = doc.model.symbols.filter((s) => s.kind === 'stage');
    for (const sym of stages) {
      const v = effectiveValues(doc, sym);
      const models = [positionsOf(doc, env, sym)];
      if (sym.stageKind === 'kd') models.push(positionsOf(doc, env, symbol(doc, v.teacher)));
      const reg = v.kd as Record<string, unknown> | undefined;
      if (reg) models.push(positionsOf(doc, env, symbol(doc, reg.teacher)));
      const known = models.filter((m): m is Positions => m !== undefined);
      const smallest = known.sort((a, b) => a.limit - b.limit)[0];
      if (!smallest) continue;
      const maxLen = v.max_len;
      if ((sym.stageKind === 'sft' || sym.stageKind === 'kd') && typeof maxLen === 'number' && maxLen > smallest.limit)
        report(sym, 'max_len', maxLen, smallest, 'tokens per row');
      const generates = sym.stageKind === 'rl' || (sym.stageKind === 'kd' && Number(v.on_policy) > 0);
      const maxNew = v.max_new_tokens;
      if (generates && typeof maxNew === 'number' && maxNew > smallest.limit)
        report(sym, 'max_new_tokens', maxNew, smallest, 'generated tokens');
    }
    for (const sym of doc.model.symbols) {
      if (sym.kind !== 'eval') continue;
      const v = effectiveValues(doc, sym);
      const maxNew = v.max_new_tokens;
      if (typeof maxNew !== 'number') continue;
      const covered = Array.isArray(v.stages) ? v.stages.map((n) => symbol(doc, n)) : stages;
      const smallest = covered
        .map((s) => positionsOf(doc, env, s))
        .filter((m): m is Positions => m !== undefined)
        .sort((a, b) => a.limit - b.limit)[0];
      if (smallest && maxNew > smallest.limit) report(sym, 'max_new_tokens', maxNew, smallest, 'generated tokens');
    }
    return out;
  };
}
