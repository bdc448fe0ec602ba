// Hover: schema documentation for block kinds, stage kinds and fields; a summary of the target for a
// reference; facts from config.json for a model; documentation of enum values, losses, metrics and rewards.
import { BUILTIN_REWARDS, KD_LOSSES, METRIC_ALIASES, METRICS_DOC } from '../core/schema/blocks';
import { blockSpec, fieldDoc, findField, stageKindSpec } from '../core/schema/lookup';
import { SyntaxKind } from '../core/syntax/kinds';
import { formatCount } from '../core/estimate';
import { cursorContext, enclosingBlocks } from './cursor';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { modelFacts, type ModelFacts } from './modelFacts';
import { summary } from './completion';
import { userRewardFunctions } from './workspaceFiles';
import { stageEstimate, estimateMarkdown } from './estimates';
import type { IdeHover } from './types';

export function modelFactsMarkdown(f: ModelFacts): string {
  const lines: string[] = [];
  const where =
    f.where === 'local'
      ? `local folder \`${f.folder}\``
      : f.where === 'hub-cache'
        ? `Hugging Face cache \`${f.folder}\``
        : f.where === 'known'
          ? 'not on disk; known architecture'
          : 'not found on disk';
  lines.push(`**${f.source}** — ${where}`);
  if (f.arch) {
    const a = f.arch;
    lines.push(
      '',
      `| | |`,
      `|---|---|`,
      `| parameters | ${f.params !== undefined ? `${formatCount(f.params)} (${f.params.toLocaleString('en-US')})` : '?'} |`,
      `| vocabulary | ${a.vocab.toLocaleString('en-US')} |`,
      `| hidden size | ${a.hidden} |`,
      `| layers | ${a.layers} |`,
      `| attention heads | ${a.heads} (${a.kvHeads} key/value) |`,
      `| MLP size | ${a.intermediate} |`,
      `| tied embeddings | ${a.tiedEmbeddings ? 'yes' : 'no'} |`,
    );
    if (a.dtype) lines.push(`| dtype | ${a.dtype} |`);
    if (a.maxPositions) lines.push(`| context | ${a.maxPositions.toLocaleString('en-US')} |`);
  }
  if (f.where === 'local' || f.where === 'hub-cache') {
    lines.push(
      '',
      f.chatTemplate
        ? `Chat template: yes${/generation/.test(f.chatTemplate) ? ' (marks assistant turns with `{% generation %}`)' : ''}`
        : 'Chat template: none',
    );
  }
  if (f.problem) lines.push('', `⚠ ${f.problem}`);
  return lines.join('\n');
}

export function hover(doc: IdeDocument, offset: number, env: IdeEnv): IdeHover | undefined {
  const tok = doc.tokenAt(offset);
  if (!tok) return undefined;
  const span = { start: tok.start, end: tok.end };
  const word = doc.textOf(span);
  const m = doc.model;

  // A reference: summary of its target (and model facts for a model).
  const ref = m.references.find((r) => r.span.start <= offset && offset <= r.span.end);
  if (ref) {
    if (!ref.target) return { markdown: `\`${ref.name}\` is not defined in this pipeline`, span: ref.span };
    let md = summary(doc, ref.target);
    if (ref.target.kind === 'model') {
      const src = m.configs.get(ref.target)?.values.source;
      if (typeof src === 'string') md += '\n\n' + modelFactsMarkdown(modelFacts(env, src, doc.dir));
    }
    return { markdown: md, span: ref.span };
  }

  // The name label of a named block: its summary, and for a stage its estimates.
  const sym = m.symbols.find((s) => s.nameSpan.start <= offset && offset <= s.nameSpan.end);
  if (sym) {
    let md = summary(doc, sym);
    if (sym.kind === 'stage') {
      const est = stageEstimate(doc, sym, env);
      if (est) md += '\n\n' + estimateMarkdown(est);
    }
    return { markdown: md, span: sym.nameSpan };
  }

  const frames = enclosingBlocks(m.file, offset);
  const frame = frames[frames.length - 1];

  // A block keyword or a stage kind label.
  for (const item of frame ? frame.block.blocks() : m.file.items().filter((i) => i.type === 'block')) {
    if (item.type !== 'block') continue;
    const kt = item.kindToken;
    if (kt && kt.start <= offset && offset <= kt.end) {
      const spec = item.kind === 'stage' ? undefined : blockSpec(item.kind);
      const docText = item.kind === 'stage' ? 'A training stage: `stage sft|kd|rl NAME { … }`.' : spec?.doc;
      if (docText) return { markdown: `**${item.kind}** block\n\n${docText}`, span: { start: kt.start, end: kt.end } };
    }
    if (item.kind === 'stage') {
      const kl = item.labels[0];
      if (kl && kl.node.start <= offset && offset <= kl.node.end) {
        const spec = stageKindSpec(kl.value);
        if (spec)
          return { markdown: `**stage ${kl.value}**\n\n${spec.doc}`, span: { start: kl.node.start, end: kl.node.end } };
      }
    }
  }

  if (!frame?.spec) return undefined;
  // A field key.
  for (const a of frame.block.attributes()) {
    const k = a.keyToken;
    if (k && k.start <= offset && offset <= k.end) {
      const match = findField(frame.spec, a.key);
      if (!match) return undefined;
      const alias = match.alias ? `\n\n\`${match.alias}\` is the old name of \`${match.field.name}\`.` : '';
      return { markdown: fieldDoc(match.field) + alias, span: { start: k.start, end: k.end } };
    }
  }

  // A value: model source, enum value, loss, metric or reward name.
  // Classify from the token's start: the cursor context of "a value being typed here".
  const ctx = cursorContext(doc, tok.start);
  if (ctx.place.type !== 'value') return undefined;
  const match = findField(frame.spec, ctx.place.key);
  if (!match) return undefined;
  const t = match.field.type;
  if (t.kind === 'string' && t.modelSource && tok.kind === SyntaxKind.String) {
    const src = m.file.textOf(tok).slice(1, -1);
    const symHere = m.symbols.find((s) => s.block.node === frames[1]?.block.node);
    const rev = symHere ? m.configs.get(symHere)?.values.revision : undefined;
    return {
      markdown: modelFactsMarkdown(modelFacts(env, src, doc.dir, typeof rev === 'string' ? rev : 'main')),
      span,
    };
  }
  if (tok.kind !== SyntaxKind.Ident) return undefined;
  if (t.kind === 'enum' && t.values.includes(word)) {
    return { markdown: `\`${word}\` — value of **${match.field.name}**\n\n${match.field.doc}`, span };
  }
  if (t.kind === 'kdLoss' && KD_LOSSES[word]) return { markdown: `**${word}** — ${KD_LOSSES[word]}`, span };
  if (t.kind === 'metrics') {
    const [kind, k] = word.split('@');
    const alias = kind !== undefined && k !== undefined ? METRIC_ALIASES[kind] : undefined;
    const d = METRICS_DOC[`${alias ?? kind}@K`] ?? METRICS_DOC[word];
    if (d) return { markdown: `**${word}**${alias ? ` (alias of \`${alias}@${k}\`)` : ''} — ${d}`, span };
  }
  if (t.kind === 'reward') {
    if (BUILTIN_REWARDS[word]) return { markdown: `**${word}** — built-in reward\n\n${BUILTIN_REWARDS[word]}`, span };
    const stage = m.symbols.find((s) => s.block.node === frames[1]?.block.node);
    const fn = stage ? userRewardFunctions(doc, stage, env).find((f) => f.name === word) : undefined;
    if (fn)
      return {
        markdown: `**${word}** — user reward\n\n\`\`\`python\ndef ${fn.name}(${fn.params})\n\`\`\`\n\n${fn.path}:${fn.line + 1}`,
        span,
      };
  }
  return undefined;
}
