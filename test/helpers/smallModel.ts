// A Qwen2-shaped model folder with only a config.json: enough for the checks that read a model's architecture
// (parameters, vocabulary, max_position_embeddings) without weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeSmallModel(folder: string, positions = 512): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'config.json'),
    JSON.stringify({
      model_type: 'qwen2',
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 384,
      max_position_embeddings: positions,
    }),
  );
}
