// Generation's text libraries are a bundle of their own (dist/text-libs.js), required from dist/client.js and
// dist/srlm.js only when something is tokenised: activation does not parse them. Needs `npm run build`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TextLibs } from '../../runtime/src/inference/textLibs';

const root = path.resolve(__dirname, '..', '..');
const dist = (f: string) => path.join(root, 'dist', f);

test('client and CLI bundles require ./text-libs.js instead of carrying tokenizers and jinja', () => {
  for (const bundle of ['client.js', 'srlm.js']) {
    const js = readFileSync(dist(bundle), 'utf8');
    assert.match(js, /require\("\.\/text-libs\.js"\)/, bundle);
    assert.doesNotMatch(js, /node_modules\/@huggingface\/(jinja|tokenizers)/, bundle);
  }
});

test('dist/text-libs.js tokenises with the engine tokenizer and renders its chat template', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadTextLibs } = require(dist('text-libs.js')) as { loadTextLibs(): Promise<TextLibs> };
  const { Tokenizer, Template } = await loadTextLibs();
  const dir = path.join(root, 'runtime', 'python', 'srlm_engine', 'assets', 'tokenizer');
  const config = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  const tok = new Tokenizer(JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), config);
  assert.equal(tok.decode(tok.encode('12+30=42').ids), '12+30=42');
  const text = new Template(config.chat_template).render({
    messages: [{ role: 'user', content: 'hi' }],
    add_generation_prompt: true,
  });
  assert.match(text, /<\|im_start\|>user\nhi<\|im_end\|>\n<\|im_start\|>assistant\n$/);
});
