// Signature help inside calls: `jsd(beta = …)` for KD losses, and the Python signature of a user reward
// function while it is being written in a reward expression.
import { KD_LOSSES } from '../core';
import { cursorContext } from './cursor';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import type { IdeSignature } from './types';
import { userRewardFunctions } from './workspaceFiles';
import { findField } from '../core';
import { table } from '../core/table';

// No prototype: `constructor(` must not find Object's constructor as a signature.
const CALLS: Readonly<Record<string, IdeSignature>> = table({
  jsd: {
    label: 'jsd(beta: number in 0..1 = 0.5)',
    documentation: KD_LOSSES.jsd,
    parameters: [
      {
        label: 'beta: number in 0..1 = 0.5',
        documentation: 'Interpolation of the mixture: 0 → forward KL, 1 → reverse KL.',
      },
    ],
    activeParameter: 0,
  },
});

export function signatureHelp(doc: IdeDocument, offset: number, env: IdeEnv): IdeSignature | undefined {
  const ctx = cursorContext(doc, offset);
  if (ctx.place.type !== 'value') return undefined;
  if (ctx.place.call) {
    const sig = CALLS[ctx.place.call.name];
    if (sig) return { ...sig, activeParameter: Math.min(ctx.place.call.argIndex, sig.parameters.length - 1) };
    return undefined;
  }
  // In a reward expression, the term being written: show the user function's Python signature.
  const frame = ctx.blocks[ctx.blocks.length - 1];
  const field = frame?.spec ? findField(frame.spec, ctx.place.key)?.field : undefined;
  if (field?.type.kind !== 'reward' || !ctx.prefix) return undefined;
  const stage = doc.model.symbols.find((s) => s.block.node === ctx.blocks[1]?.block.node);
  const fn = stage ? userRewardFunctions(doc, stage, env).find((f) => f.name === ctx.prefix) : undefined;
  if (!fn) return undefined;
  const params = fn.params
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return {
    label: `def ${fn.name}(${params.join(', ')})`,
    documentation: `User reward function in ${fn.file}:${fn.line + 1}. It is called with the batch's completions and dataset columns and returns one float per completion.`,
    parameters: params.map((p) => ({ label: p })),
    activeParameter: 0,
  };
}
