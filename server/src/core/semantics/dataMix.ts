// A weighted sum of block names, such as a stage's `data = 0.7 * cot + 0.3 * r1`: the terms it is made of
// (for the binder's references) and its plan form (for the checker): a single name stays a name, a mix becomes
// `[{dataset, weight}]` with the weights normalised to sum to 1 (they are sampling proportions).
import { Codes } from '../diagnostics/codes';
import type { RawDiagnostic } from '../diagnostics/diagnostic';
import type { FieldSpec, JsonValue } from '../schema/types';
import type { Span } from '../text/lineIndex';
import { describeValue, type Value } from './values';

export interface WeightedTerm {
  /** The name node (an `ident` value). */
  name: Extract<Value, { type: 'ident' }>;
  weight: number;
}

/** The terms of `v` and the parts that are not `name`, `w * name`, `name * w` or `name / w`. */
export function weightedTerms(v: Value): { terms: WeightedTerm[]; bad: Value[] } {
  const terms: WeightedTerm[] = [];
  const bad: Value[] = [];
  const walk = (x: Value, sign: number): void => {
    if (x.type === 'ident') terms.push({ name: x, weight: sign });
    else if (x.type === 'negate') walk(x.operand, -sign);
    else if (x.type === 'binary' && (x.op === '+' || x.op === '-')) {
      walk(x.left, sign);
      walk(x.right, x.op === '-' ? -sign : sign);
    } else if (x.type === 'binary' && x.op === '*' && x.left.type === 'number' && x.right.type === 'ident')
      terms.push({ name: x.right, weight: sign * x.left.value });
    else if (x.type === 'binary' && x.op === '*' && x.right.type === 'number' && x.left.type === 'ident')
      terms.push({ name: x.left, weight: sign * x.right.value });
    else if (
      x.type === 'binary' &&
      x.op === '/' &&
      x.left.type === 'ident' &&
      x.right.type === 'number' &&
      x.right.value
    )
      terms.push({ name: x.left, weight: sign / x.right.value });
    else bad.push(x);
  };
  walk(v, 1);
  return { terms, bad };
}

function span(v: Value): Span {
  return { start: v.node.start, end: v.node.end };
}

export function checkWeightedRef(
  field: FieldSpec,
  v: Value,
  report: (d: RawDiagnostic) => void,
): JsonValue | undefined {
  if (v.type === 'ident') return v.name;
  const { terms, bad } = weightedTerms(v);
  const example = `'${field.name} = 0.7 * cot + 0.3 * r1'`;
  for (const b of bad) {
    report({
      info: Codes.badExpression,
      message: `'${field.name}' is a dataset name or a weighted sum of datasets such as ${example}; this part is ${describeValue(b)}`,
      span: span(b),
    });
  }
  if (bad.length > 0) return undefined;
  const merged = new Map<string, number>();
  for (const t of terms) merged.set(t.name.name, (merged.get(t.name.name) ?? 0) + t.weight);
  let ok = true;
  for (const t of terms) {
    const w = merged.get(t.name.name) as number;
    if (w <= 0) {
      report({
        info: Codes.outOfRange,
        message: `the weight of '${t.name.name}' in '${field.name}' must be above 0 (it is a sampling proportion), found ${w}`,
        span: span(t.name),
      });
      merged.delete(t.name.name);
      ok = false;
    }
  }
  if (!ok) return undefined;
  if (merged.size === 1) return [...merged.keys()][0];
  const total = [...merged.values()].reduce((a, b) => a + b, 0);
  // Rounded so that 0.7 and 0.3 stay 0.7 and 0.3 after the division, not 0.7000000000000001.
  return [...merged].map(([dataset, w]) => ({ dataset, weight: Number((w / total).toPrecision(12)) }));
}
