// The one entry point the CLI and the inspector use: open a checkpoint's export, turn a user prompt into ids
// through the chat template, and generate.
import { generate, type GenerationOptions, type GenerationResult } from './generate';
import { OnnxCausalLM, type LoadOptions } from './model';
import { ChatTokenizer, type ChatMessage } from './tokenizer';

export interface PromptOptions {
  /** Feed the text as is instead of wrapping it in the chat template. */
  readonly raw?: boolean;
  readonly system?: string;
}

export class CheckpointGenerator {
  private constructor(
    readonly model: OnnxCausalLM,
    readonly tokenizer: ChatTokenizer,
  ) {}

  static async open(checkpoint: string, options: LoadOptions = {}): Promise<CheckpointGenerator> {
    const model = await OnnxCausalLM.load(checkpoint, options);
    try {
      return new CheckpointGenerator(model, await ChatTokenizer.load(model.exportDir));
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  renderPrompt(prompt: string, options: PromptOptions = {}): string {
    if (options.raw || !this.tokenizer.hasChatTemplate) return prompt;
    const messages: ChatMessage[] = [];
    if (options.system) messages.push({ role: 'system', content: options.system });
    messages.push({ role: 'user', content: prompt });
    return this.tokenizer.renderChat(messages);
  }

  encodePrompt(prompt: string, options: PromptOptions = {}): number[] {
    return this.tokenizer.encode(this.renderPrompt(prompt, options));
  }

  generate(prompt: string, options: GenerationOptions & PromptOptions): Promise<GenerationResult> {
    return generate(this.model, this.tokenizer, this.encodePrompt(prompt, options), options);
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}
