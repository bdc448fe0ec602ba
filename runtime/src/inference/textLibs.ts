// The tokenizer and chat-template libraries, which only generation needs (the inspector, `srlm generate`). The
// bundles keep this module out of dist/client.js and dist/srlm.js: esbuild.mjs builds it as dist/text-libs.js and
// leaves the require in tokenizer.ts pointing at it, so activating the extension does not parse ~90 KB of code
// that most sessions never run.
import type { Tokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import type { Template } from '@huggingface/jinja' with { 'resolution-mode': 'import' };

export interface TextLibs {
  readonly Tokenizer: typeof Tokenizer;
  readonly Template: typeof Template;
}

export async function loadTextLibs(): Promise<TextLibs> {
  const [t, j] = await Promise.all([import('@huggingface/tokenizers'), import('@huggingface/jinja')]);
  return { Tokenizer: t.Tokenizer, Template: j.Template };
}
