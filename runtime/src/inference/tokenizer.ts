// Tokenises with @huggingface/tokenizers from tokenizer.json and renders the checkpoint's chat template with
// @huggingface/jinja, the same two files (and template) transformers uses on the Python side.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import type { Template } from '@huggingface/jinja' with { 'resolution-mode': 'import' };

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

type TokenSpec = string | { content?: string } | null | undefined;

function tokenText(spec: TokenSpec): string | undefined {
  if (typeof spec === 'string') return spec;
  return spec?.content ?? undefined;
}

function pickTemplate(config: Record<string, unknown>, dir: string): string | undefined {
  // transformers 5 writes the template to chat_template.jinja; older checkpoints keep it in tokenizer_config.json.
  const file = path.join(dir, 'chat_template.jinja');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

export class ChatTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly template: Template | undefined,
    private readonly specials: Record<string, string | undefined>,
  ) {}

  /** Loads from a folder holding tokenizer.json and tokenizer_config.json (an export or a checkpoint). */
  static async load(dir: string): Promise<ChatTokenizer> {
    const tokPath = path.join(dir, 'tokenizer.json');
    if (!existsSync(tokPath)) throw new Error(`${tokPath}: missing; the checkpoint has no tokenizer`);
    const cfgPath = path.join(dir, 'tokenizer_config.json');
    const config = existsSync(cfgPath) ? (JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>) : {};
    // A plain require of a sibling module: the bundles make it the separate dist/text-libs.js (textLibs.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadTextLibs } = require('./textLibs') as typeof import('./textLibs');
    const { Tokenizer, Template } = await loadTextLibs();
    const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokPath, 'utf8')) as object, config);
    const source = pickTemplate(config, dir);
    const specials = {
      bos_token: tokenText(config.bos_token as TokenSpec),
      eos_token: tokenText(config.eos_token as TokenSpec),
      pad_token: tokenText(config.pad_token as TokenSpec),
      unk_token: tokenText(config.unk_token as TokenSpec),
    };
    return new ChatTokenizer(tokenizer, source ? new Template(source) : undefined, specials);
  }

  get hasChatTemplate(): boolean {
    return this.template !== undefined;
  }

  /** The prompt text the model sees: the chat template with a generation prompt, or the raw text without one. */
  renderChat(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
    if (!this.template) return messages.map((m) => m.content).join('\n');
    return this.template.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      ...this.specials,
    });
  }

  /** Ids of a rendered prompt; special tokens are not added again, as transformers' apply_chat_template does. */
  encode(text: string, addSpecialTokens = false): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  }

  tokenString(id: number): string {
    return this.tokenizer.id_to_token(id) ?? `<${id}>`;
  }

  idOf(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  get eosToken(): string | undefined {
    return this.specials.eos_token;
  }
}

/** Emits text as tokens arrive without splitting multi-byte characters that span several byte-level tokens. */
export class TextStream {
  private readonly ids: number[] = [];
  private emitted = 0;
  private waiting = false;

  constructor(private readonly tokenizer: ChatTokenizer) {}

  push(id: number): string {
    this.ids.push(id);
    const text = this.tokenizer.decode(this.ids);
    // U+FFFD at the end means the last token ended inside a UTF-8 sequence: wait for the rest of it.
    this.waiting = text.endsWith('\uFFFD');
    if (this.waiting) return '';
    const piece = text.slice(this.emitted);
    this.emitted = text.length;
    return piece;
  }

  /** The last token pushed ended inside a character: its bytes show with the token that completes it. */
  get pending(): boolean {
    return this.waiting;
  }

  /** The text so far; tokens that end inside a character add nothing until it is complete. */
  get text(): string {
    const text = this.tokenizer.decode(this.ids);
    return this.waiting ? text.slice(0, this.emitted) : text;
  }
}
