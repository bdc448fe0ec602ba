// Checks one attribute's value against its field type and converts it to its plan (JSON) form. Returning
// undefined means "invalid" — the problem has been reported — so cross-field checks skip that field.
import { Codes, type CodeInfo } from '../diagnostics/codes';
import type { RawDiagnostic } from '../diagnostics/diagnostic';
import { encodeString } from '../syntax/lexer';
import { BUILTIN_REWARD_ARGS, BUILTIN_REWARDS, KD_LOSSES, METRIC_ALIASES } from '../schema/blocks';
import { describeType } from '../schema/lookup';
import type { FieldSpec, JsonValue } from '../schema/types';
import type { Span } from '../text/lineIndex';
import { checkWeightedRef } from './dataMix';
import { similar } from './similar';
import { describeValue, type Value } from './values';

export interface ValueContext {
  report(d: RawDiagnostic): void;
  /** Reward functions the block may use beyond the built-ins (true when a reward_file is given). */
  userRewardsAllowed: boolean;
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function span(v: Value): Span {
  return { start: v.node.start, end: v.node.end };
}

function mismatch(
  ctx: ValueContext,
  field: FieldSpec,
  v: Value,
  extra?: Partial<RawDiagnostic>,
  info: CodeInfo = Codes.typeMismatch,
) {
  ctx.report({
    info,
    message: `'${field.name}' expects ${describeType(field.type)}, found ${describeValue(v)}`,
    span: span(v),
    ...extra,
  });
}

function replaceFix(title: string, s: Span, newText: string) {
  return { title, edits: [{ span: s, newText }], preferred: true };
}

export function checkFieldValue(field: FieldSpec, v: Value, ctx: ValueContext): JsonValue | undefined {
  if (v.type === 'error') return undefined;
  const t = field.type;
  switch (t.kind) {
    case 'int':
    case 'number': {
      if (v.type !== 'number') {
        if (v.type === 'string' && v.value.trim() !== '' && Number.isFinite(Number(v.value))) {
          mismatch(ctx, field, v, { fixes: [replaceFix('Remove the quotes', span(v), v.value.trim())] });
        } else mismatch(ctx, field, v);
        return undefined;
      }
      if (t.kind === 'int' && !Number.isInteger(v.value)) {
        ctx.report({
          info: Codes.typeMismatch,
          message: `'${field.name}' expects an integer, found ${v.raw}`,
          span: span(v),
        });
        return undefined;
      }
      const exLo = t.kind === 'number' && t.exclusiveMin;
      const exHi = t.kind === 'number' && t.exclusiveMax;
      const low = t.min !== undefined && (exLo ? v.value <= t.min : v.value < t.min);
      const high = t.max !== undefined && (exHi ? v.value >= t.max : v.value > t.max);
      if (low || high) {
        ctx.report({
          info: Codes.outOfRange,
          message: `'${field.name}' must be ${describeType(t).replace(/^(integer|number) /, '')}, found ${v.raw}`,
          span: span(v),
        });
        return undefined;
      }
      return v.value;
    }
    case 'bool':
      if (v.type === 'bool') return v.value;
      if (v.type === 'string' && (v.value === 'true' || v.value === 'false')) {
        mismatch(ctx, field, v, { fixes: [replaceFix('Remove the quotes', span(v), v.value)] });
      } else mismatch(ctx, field, v);
      return undefined;
    case 'string':
    case 'path':
      if (v.type === 'string') return v.value;
      if (t.kind === 'string' && t.bare && v.type === 'ident') return v.name;
      if (v.type === 'ident' || v.type === 'number') {
        const text = v.type === 'ident' ? v.name : v.raw;
        mismatch(ctx, field, v, { fixes: [replaceFix('Quote the value', span(v), encodeString(text))] });
      } else mismatch(ctx, field, v);
      return undefined;
    case 'enum': {
      const name = v.type === 'ident' ? v.name : v.type === 'string' ? v.value : undefined;
      if (name === undefined) {
        mismatch(ctx, field, v);
        return undefined;
      }
      if (t.values.includes(name)) return name;
      unknownName(ctx, field, name, span(v), t.values);
      return undefined;
    }
    case 'ref':
      if (v.type === 'ident') return v.name;
      if (t.weighted && (v.type === 'binary' || v.type === 'negate')) return checkWeightedRef(field, v, ctx.report);
      if (v.type === 'string' && IDENT_RE.test(v.value)) {
        mismatch(ctx, field, v, { fixes: [replaceFix('Remove the quotes', span(v), v.value)] });
      } else mismatch(ctx, field, v);
      return undefined;
    case 'refList': {
      if (v.type === 'ident') {
        mismatch(ctx, field, v, { fixes: [replaceFix('Make it a list', span(v), `[${v.name}]`)] });
        return undefined;
      }
      if (v.type !== 'list') {
        mismatch(ctx, field, v);
        return undefined;
      }
      const out: string[] = [];
      for (const item of v.items) {
        if (item.type === 'ident') out.push(item.name);
        else {
          ctx.report({
            info: Codes.typeMismatch,
            message: `'${field.name}' items must be stage names, found ${describeValue(item)}`,
            span: span(item),
          });
          return undefined;
        }
      }
      return out;
    }
    case 'nameList': {
      if (v.type !== 'list') {
        mismatch(ctx, field, v);
        return undefined;
      }
      const out: string[] = [];
      for (const item of v.items) {
        const name = item.type === 'ident' ? item.name : item.type === 'string' ? item.value : undefined;
        if (name === undefined) {
          ctx.report({
            info: Codes.typeMismatch,
            message: `'${field.name}' items must be names, found ${describeValue(item)}`,
            span: span(item),
          });
          return undefined;
        }
        if (t.values && !t.values.includes(name)) {
          unknownName(ctx, field, name, span(item), t.values);
          return undefined;
        }
        // A closed set is a set: `[wandb, wandb]` means wandb once.
        if (!t.values || !out.includes(name)) out.push(name);
      }
      return out;
    }
    case 'kdLoss':
      return checkKdLoss(field, v, ctx);
    case 'reward':
      return checkReward(field, v, ctx);
    case 'metrics':
      return checkMetrics(field, v, ctx);
  }
}

function unknownName(ctx: ValueContext, field: FieldSpec, name: string, s: Span, values: readonly string[]) {
  const guesses = similar(name, values);
  ctx.report({
    info: Codes.unknownEnum,
    message: `'${name}' is not a valid ${field.name}: expected one of ${values.join(', ')}${guesses.length ? ` (did you mean '${guesses[0]}'?)` : ''}`,
    span: s,
    fixes: guesses.map((g, i) => ({
      title: `Change to '${g}'`,
      edits: [{ span: s, newText: g }],
      preferred: i === 0,
    })),
  });
}

function checkKdLoss(field: FieldSpec, v: Value, ctx: ValueContext): JsonValue | undefined {
  const names = Object.keys(KD_LOSSES);
  const unknown = (name: string, s: Span) => {
    const guesses = similar(name, names);
    ctx.report({
      info: Codes.unknownEnum,
      message: `unknown distillation loss '${name}': expected forward_kl, reverse_kl or jsd(beta = B)`,
      span: s,
      fixes: guesses.map((g, i) => ({
        title: `Change to '${g}'`,
        edits: [{ span: s, newText: g }],
        preferred: i === 0,
      })),
    });
  };
  if (v.type === 'ident') {
    if (!names.includes(v.name)) {
      unknown(v.name, span(v));
      return undefined;
    }
    return v.name === 'jsd' ? { name: 'jsd', beta: 0.5 } : { name: v.name };
  }
  if (v.type !== 'call') {
    mismatch(ctx, field, v);
    return undefined;
  }
  if (v.name !== 'jsd') {
    if (names.includes(v.name)) {
      ctx.report({
        info: Codes.badExpression,
        message: `'${v.name}' takes no arguments; write '${v.name}'`,
        span: span(v),
        fixes: [replaceFix(`Write '${v.name}'`, span(v), v.name)],
      });
    } else unknown(v.name, { start: v.nameNode.start, end: v.nameNode.end });
    return undefined;
  }
  let beta = 0.5;
  for (const a of v.args) {
    if (a.name !== undefined && a.name !== 'beta') {
      ctx.report({
        info: Codes.badExpression,
        message: `jsd has one argument, 'beta'; found '${a.name}'`,
        span: a.nameSpan ?? span(a.value),
      });
      return undefined;
    }
    if (a.value.type !== 'number') {
      ctx.report({
        info: Codes.typeMismatch,
        message: `jsd 'beta' expects a number in 0..1, found ${describeValue(a.value)}`,
        span: span(a.value),
      });
      return undefined;
    }
    if (a.value.value < 0 || a.value.value > 1) {
      ctx.report({
        info: Codes.outOfRange,
        message: `jsd 'beta' must be in 0..1, found ${a.value.raw}`,
        span: span(a.value),
      });
      return undefined;
    }
    beta = a.value.value;
  }
  if (v.args.length > 1) {
    ctx.report({ info: Codes.badExpression, message: 'jsd takes a single argument: jsd(beta = B)', span: span(v) });
    return undefined;
  }
  return { name: 'jsd', beta };
}

interface RewardTerm {
  fn: string;
  weight: number;
  span: Span;
  /** `length_penalty(max = 512)`: the call, whose arguments are checked against the function. */
  call?: Extract<Value, { type: 'call' }>;
}

type RewardOperand = Extract<Value, { type: 'ident' | 'call' }>;

function isRewardOperand(v: Value): v is RewardOperand {
  return v.type === 'ident' || v.type === 'call';
}

function rewardTerm(v: RewardOperand, weight: number): RewardTerm {
  if (v.type === 'ident') return { fn: v.name, weight, span: span(v) };
  return { fn: v.name, weight, span: { start: v.nameNode.start, end: v.nameNode.end }, call: v };
}

function rewardTerms(v: Value, sign: number, out: RewardTerm[], bad: Value[]): void {
  if (isRewardOperand(v)) {
    out.push(rewardTerm(v, sign));
    return;
  }
  switch (v.type) {
    case 'negate':
      rewardTerms(v.operand, -sign, out, bad);
      return;
    case 'binary':
      if (v.op === '+' || v.op === '-') {
        rewardTerms(v.left, sign, out, bad);
        rewardTerms(v.right, v.op === '-' ? -sign : sign, out, bad);
        return;
      }
      if (v.op === '*') {
        if (v.left.type === 'number' && isRewardOperand(v.right)) {
          out.push(rewardTerm(v.right, sign * v.left.value));
          return;
        }
        if (v.right.type === 'number' && isRewardOperand(v.left)) {
          out.push(rewardTerm(v.left, sign * v.right.value));
          return;
        }
      }
      if (v.op === '/' && isRewardOperand(v.left) && v.right.type === 'number' && v.right.value !== 0) {
        out.push(rewardTerm(v.left, sign / v.right.value));
        return;
      }
      bad.push(v);
      return;
    default:
      bad.push(v);
  }
}

/**
 * A term's keyword arguments in plan form. Built-ins take those `BUILTIN_REWARD_ARGS` declares, each checked like
 * a field; user functions take any number, string or bool (the engine checks them against the signature).
 */
function rewardArgs(term: RewardTerm, ctx: ValueContext): Record<string, JsonValue> | undefined {
  const out: Record<string, JsonValue> = {};
  if (!term.call) return out;
  const builtin = term.fn in BUILTIN_REWARDS;
  const declared = BUILTIN_REWARD_ARGS[term.fn] ?? [];
  let ok = true;
  for (const a of term.call.args) {
    const where = a.nameSpan ?? span(a.value);
    if (a.name === undefined) {
      const example = declared[0]?.name ?? 'name';
      ctx.report({
        info: Codes.badExpression,
        message: `reward arguments are written by name, e.g. ${term.fn}(${example} = …); found ${describeValue(a.value)}`,
        span: where,
      });
      ok = false;
      continue;
    }
    if (a.name in out) {
      ctx.report({ info: Codes.badExpression, message: `argument '${a.name}' is given twice`, span: where });
      ok = false;
      continue;
    }
    if (builtin) {
      const spec = declared.find((f) => f.name === a.name);
      if (!spec) {
        const names = declared.map((f) => f.name);
        const guesses = similar(a.name, names);
        ctx.report({
          info: Codes.badExpression,
          message:
            names.length === 0
              ? `the built-in reward '${term.fn}' takes no arguments; write '${term.fn}'`
              : `'${term.fn}' has no argument '${a.name}': it takes ${names.join(', ')}${guesses.length ? ` (did you mean '${guesses[0]}'?)` : ''}`,
          span: where,
          fixes: guesses.map((g, i) => ({
            title: `Change to '${g}'`,
            edits: [{ span: where, newText: g }],
            preferred: i === 0,
          })),
        });
        ok = false;
        continue;
      }
      const value = checkFieldValue({ ...spec, name: `${term.fn}(${spec.name})` }, a.value, ctx);
      if (value === undefined) ok = false;
      else out[a.name] = value;
      continue;
    }
    const v = a.value;
    if (v.type === 'number' || v.type === 'string' || v.type === 'bool') out[a.name] = v.value;
    else {
      ctx.report({
        info: Codes.typeMismatch,
        message: `reward argument '${a.name}' must be a number, a string or true/false, found ${describeValue(v)}`,
        span: span(v),
      });
      ok = false;
    }
  }
  // The ramp must fit below the limit (the engine would refuse it at the first scored batch).
  if (ok && term.fn === 'length_penalty' && typeof out.max === 'number' && typeof out.cache === 'number') {
    if (out.cache > out.max) {
      ctx.report({
        info: Codes.outOfRange,
        message: `length_penalty: cache (${out.cache}) must not exceed max (${out.max})`,
        span: span(term.call!),
      });
      return undefined;
    }
  }
  return ok ? out : undefined;
}

function checkReward(field: FieldSpec, v: Value, ctx: ValueContext): JsonValue | undefined {
  const terms: RewardTerm[] = [];
  const bad: Value[] = [];
  rewardTerms(v, 1, terms, bad);
  for (const b of bad) {
    ctx.report({
      info: Codes.badExpression,
      message: `'${field.name}' is a weighted sum of reward functions such as 'accuracy + 0.2 * format'; this part is ${describeValue(b)}`,
      span: span(b),
    });
  }
  if (bad.length > 0) return undefined;
  let ok = true;
  const merged = new Map<string, { weight: number; args: Record<string, JsonValue>; key: string }>();
  for (const term of terms) {
    if (!(term.fn in BUILTIN_REWARDS) && !ctx.userRewardsAllowed) {
      const guesses = similar(term.fn, Object.keys(BUILTIN_REWARDS));
      ctx.report({
        info: Codes.unknownReward,
        message: `unknown reward function '${term.fn}': built-ins are ${Object.keys(BUILTIN_REWARDS).join(', ')}; define others in a 'reward_file'`,
        span: term.span,
        fixes: guesses.map((g, i) => ({
          title: `Change to '${g}'`,
          edits: [{ span: term.span, newText: g }],
          preferred: i === 0,
        })),
      });
      ok = false;
      continue;
    }
    const args = rewardArgs(term, ctx);
    if (args === undefined) {
      ok = false;
      continue;
    }
    const key = JSON.stringify(Object.entries(args).sort(([a], [b]) => a.localeCompare(b)));
    const seen = merged.get(term.fn);
    if (seen && seen.key !== key) {
      ctx.report({
        info: Codes.badExpression,
        message: `'${term.fn}' appears twice with different arguments; a reward function can be used once per stage`,
        span: term.span,
      });
      ok = false;
      continue;
    }
    merged.set(term.fn, { weight: (seen?.weight ?? 0) + term.weight, args, key });
  }
  if (!ok) return undefined;
  // `args` only when given, so plans (and stage hashes) of rewards without arguments stay as they were.
  return [...merged].map(([fn, t]): JsonValue => {
    const term: Record<string, JsonValue> = { fn, weight: t.weight };
    if (Object.keys(t.args).length > 0) term.args = t.args;
    return term;
  });
}

const METRIC_RE = new RegExp(`^(accuracy|(avg|pass|maj|${Object.keys(METRIC_ALIASES).join('|')})@([0-9]+))$`);

function checkMetrics(field: FieldSpec, v: Value, ctx: ValueContext): JsonValue | undefined {
  const items = v.type === 'list' ? v.items : [v];
  if (v.type !== 'list' && v.type !== 'ident') {
    mismatch(ctx, field, v);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (const item of items) {
    const name = item.type === 'ident' ? item.name : item.type === 'string' ? item.value : undefined;
    const m = name === undefined ? null : METRIC_RE.exec(name);
    if (!m || (m[3] !== undefined && Number(m[3]) < 1)) {
      ctx.report({
        info: Codes.unknownEnum,
        message: `unknown metric ${name === undefined ? describeValue(item) : `'${name}'`}: expected accuracy, avg@K (or mean@K), pass@K or maj@K (K ≥ 1)`,
        span: span(item),
      });
      ok = false;
      continue;
    }
    // The plan carries canonical names only, each once: `mean@8` is `avg@8`.
    const kind = m[2] === undefined ? undefined : (METRIC_ALIASES[m[2]] ?? m[2]);
    const canonical = kind === undefined ? m[1]! : `${kind}@${Number(m[3])}`;
    if (!out.includes(canonical)) out.push(canonical);
  }
  if (ok && v.type === 'ident') {
    ctx.report({
      info: Codes.typeMismatch,
      message: `'${field.name}' is a list: write [${out[0]}]`,
      span: span(v),
      fixes: [replaceFix('Make it a list', span(v), `[${out[0]}]`)],
    });
    return undefined;
  }
  return ok ? out : undefined;
}
