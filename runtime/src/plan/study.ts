// The study compiler: one ordinary plan per variant of a file's study (docs/study.md), built by the plan
// compiler itself (`planOf`), so every default and stage hash is the one a plain run of that pipeline would
// have. A stage two variants run with the same config, init chain and data has the same hash in both plans:
// the stage cache trains it once.
import * as fs from 'node:fs';
import { decodeUtf8, layoutVariant, parse, type Diagnostic, type DocumentModel } from '../../../server/src/core';
import { checkSource, CompileError, planOf, type CompileOptions } from './compile';
import type { Plan } from './types';

export interface StudyVariantPlan {
  readonly name: string;
  /** The variant's plan; absent for an untrained baseline (`stages = []`). */
  readonly plan?: Plan;
  /**
   * An untrained baseline: the model it evaluates and the variant whose run evaluates that model before its
   * first stage (its row is that before-training eval; no run of its own).
   */
  readonly baseline?: { readonly model: string; readonly from: string };
}

export interface CompiledStudy {
  readonly study: string;
  /** Absolute path of the .srlm file. */
  readonly file: string;
  /** Every variant of the study, in file order. */
  readonly variants: readonly StudyVariantPlan[];
  readonly diagnostics: readonly Diagnostic[];
  readonly document: DocumentModel;
}

/**
 * True when the .srlm file declares a study, errors or not: `srlm run` then runs the study. A file that cannot
 * be read is not one (the ordinary compile reports why).
 */
export function fileDeclaresStudy(file: string): boolean {
  let text: string;
  try {
    text = decodeUtf8(fs.readFileSync(file)).text;
  } catch {
    return false;
  }
  // The syntax is enough (no checks): the run of a study then reports the file's problems like any run.
  return parse(text)
    .file.items()
    .some((p) => p.type === 'block' && p.kind === 'pipeline' && p.blocks().some((b) => b.kind === 'study'));
}

/**
 * Compiles every variant. Throws CompileError when the file has errors, declares no study, or an untrained
 * baseline has no variant whose run evaluates its model before training.
 */
export async function compileStudy(o: Omit<CompileOptions, 'variant'>): Promise<CompiledStudy> {
  const checked = await checkSource(o);
  const { document, file, diagnostics } = checked;
  const fail = (message: string): never => {
    throw new CompileError(`${file}: ${message}`, file, diagnostics, document.lineIndex);
  };
  const study = document.study;
  if (!study) return fail('the file declares no study');
  const plans = new Map<string, Plan>();
  const baselines = new Map<string, string>();
  for (const v of study.variants) {
    const layout = layoutVariant(v, document.bindings, document.configs);
    if (!layout.ok) return fail(`variant ${v.name}: ${layout.message}`);
    if (layout.baseline !== undefined) baselines.set(v.name, layout.baseline);
    else plans.set(v.name, planOf(checked, o, v.name));
  }
  const variants = study.variants.map((v): StudyVariantPlan => {
    const model = baselines.get(v.name);
    if (model === undefined) return { name: v.name, plan: plans.get(v.name)! };
    const from = [...plans].find(([, plan]) => evaluatesBeforeTraining(plan, model))?.[0];
    if (from === undefined) {
      return fail(
        `variant ${v.name} evaluates ${model} before training, but no variant of study ${study.name} starts its first stage from ${model} with an eval before it; add one (for example the direct RL variant)`,
      );
    }
    return { name: v.name, baseline: { model, from } };
  });
  return { study: study.name, file, variants, diagnostics, document };
}

/** The plan's first stage starts from `model` and an eval covers it with `before` (the engine's default). */
function evaluatesBeforeTraining(plan: Plan, model: string): boolean {
  const first = plan.stages[0];
  if (!first || !('model' in first.init) || first.init.model !== model) return false;
  return first.evals.some((e) => plan.evals?.[e]?.before !== false);
}
