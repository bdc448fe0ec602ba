// A `template` field naming a file (model and dataset blocks): the file must exist, or the plan compiler could
// not read it in. Inline template text (holding `{{` or `{%`) is not a path and is not looked up.
import { Codes } from './diagnostics/codes';
import type { RawDiagnostic } from './diagnostics/diagnostic';
import type { HostCheck } from './host';
import { isInlineTemplate } from './schema/blocks';
import type { Span } from './text/lineIndex';

export const templateFileCheck: HostCheck = async (ctx) => {
  const out: RawDiagnostic[] = [];
  for (const sym of ctx.doc.symbols) {
    if (sym.kind !== 'model' && sym.kind !== 'dataset') continue;
    const cfg = ctx.config(sym);
    const value = cfg?.values.template;
    if (!cfg || typeof value !== 'string' || isInlineTemplate(value)) continue;
    const abs = ctx.host.resolve(value);
    const st = await ctx.host.stat(abs);
    if (st?.type === 'file') continue;
    out.push({
      info: Codes.chatTemplate,
      severity: 'error',
      message: `template file '${value}' not found (looked for ${abs}); give a .jinja file relative to the .srlm file, or inline template text`,
      span: ctx.valueSpan(cfg, 'template') as Span,
    });
  }
  return out;
};
