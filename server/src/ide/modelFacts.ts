// Where a model's files are and what they say: a local folder, or a hub id found in the Hugging Face cache;
// config.json gives the architecture (and so vocabulary, sizes and parameter count), tokenizer_config.json
// the chat template.
import { isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { expandHome, isLocalSource } from '../core';
import { type ModelArch, archFromConfig, knownArch, paramCount } from '../core/estimate';
import type { IdeEnv } from './env';

export interface ModelFacts {
  source: string;
  /** Folder holding config.json, when the model is on disk. */
  folder?: string;
  where: 'local' | 'hub-cache' | 'known' | 'missing';
  arch?: ModelArch;
  params?: number;
  /** The chat template text, when tokenizer_config.json (or chat_template.jinja) has one. */
  chatTemplate?: string;
  hasTokenizerConfig: boolean;
  /** Why config.json could not be used, for diagnostics. */
  problem?: string;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

/** A path-valued field's folder or file: `~` is the user's home, a relative path is under `baseDir`. */
export function expandPath(p: string, baseDir: string): string {
  return resolve(baseDir, expandHome(p, homedir()));
}

/** The snapshot folder of a cached hub repo (`models--Org--Name/snapshots/<ref>`, or `datasets--…`), if present. */
export function hubSnapshot(
  env: IdeEnv,
  id: string,
  revision = 'main',
  repoType: 'models' | 'datasets' = 'models',
): string | undefined {
  const repo = join(env.hubCache(), `${repoType}--${id.replace(/\//g, '--')}`);
  const ref = env.readText(join(repo, 'refs', revision), 4096)?.trim();
  const snaps = join(repo, 'snapshots');
  if (ref && env.stat(join(snaps, ref)) === 'dir') return join(snaps, ref);
  if (/^[0-9a-f]{40}$/.test(revision) && env.stat(join(snaps, revision)) === 'dir') return join(snaps, revision);
  // Without refs/, any snapshot (of a model: one with a config.json) is the best we can do.
  const list = env.listDir(snaps);
  const usable = list?.find(
    (e) => e.dir && (repoType === 'datasets' || env.stat(join(snaps, e.name, 'config.json')) === 'file'),
  );
  return usable ? join(snaps, usable.name) : undefined;
}

/** Hub ids present in the local cache (`models--Org--Name` → `Org/Name`). */
export function cachedHubModels(env: IdeEnv): string[] {
  const list = env.listDir(env.hubCache()) ?? [];
  return list
    .filter((e) => e.dir && e.name.startsWith('models--'))
    .map((e) => e.name.slice('models--'.length).replace(/--/g, '/'));
}

function chatTemplateOf(env: IdeEnv, folder: string): { template?: string; hasConfig: boolean } {
  const tc = env.readJson(join(folder, 'tokenizer_config.json'));
  let template: string | undefined;
  if (typeof tc === 'object' && tc !== null) {
    const t = (tc as Record<string, unknown>).chat_template;
    if (typeof t === 'string') template = t;
    else if (Array.isArray(t)) {
      // Named templates: [{ name: 'default', template: '…' }, …]
      const named = t as Array<{ name?: unknown; template?: unknown }>;
      const d = named.find((x) => x.name === 'default') ?? named[0];
      if (d && typeof d.template === 'string') template = d.template;
    }
  }
  // Newer tokenizers ship the template as a separate file.
  template ??= env.readText(join(folder, 'chat_template.jinja'), 1024 * 1024);
  return { template, hasConfig: tc !== undefined };
}

function factsFromFolder(env: IdeEnv, source: string, folder: string, where: 'local' | 'hub-cache'): ModelFacts {
  const cfgPath = join(folder, 'config.json');
  const config = env.readJson(cfgPath);
  const { template, hasConfig } = chatTemplateOf(env, folder);
  if (config === undefined) {
    const exists = env.stat(cfgPath) === 'file';
    return {
      source,
      folder,
      where,
      hasTokenizerConfig: hasConfig,
      chatTemplate: template,
      problem: exists ? `${cfgPath} is not valid JSON` : `${folder} has no config.json`,
    };
  }
  const arch = archFromConfig(config);
  return {
    source,
    folder,
    where,
    arch,
    params: arch ? paramCount(arch) : undefined,
    chatTemplate: template,
    hasTokenizerConfig: hasConfig,
    problem: arch ? undefined : `${cfgPath} lacks hidden_size, num_hidden_layers, num_attention_heads or vocab_size`,
  };
}

export function modelFacts(env: IdeEnv, source: string, baseDir: string | undefined, revision = 'main'): ModelFacts {
  if (isLocalSource(source) || (baseDir && !HUB_ID.test(source))) {
    if (!baseDir && !isAbsolute(source))
      return { source, where: 'missing', hasTokenizerConfig: false, problem: 'relative path in an unsaved file' };
    const folder = expandPath(source, baseDir ?? '/');
    if (env.stat(folder) !== 'dir')
      return { source, folder, where: 'missing', hasTokenizerConfig: false, problem: `folder not found: ${folder}` };
    return factsFromFolder(env, source, folder, 'local');
  }
  // A bare `name` or `org/name` may still be a folder next to the file.
  if (baseDir && env.stat(join(baseDir, source, 'config.json')) === 'file') {
    return factsFromFolder(env, source, join(baseDir, source), 'local');
  }
  const snap = hubSnapshot(env, source, revision);
  if (snap) return factsFromFolder(env, source, snap, 'hub-cache');
  const arch = knownArch(source);
  if (arch) return { source, where: 'known', arch, params: paramCount(arch), hasTokenizerConfig: false };
  return { source, where: 'missing', hasTokenizerConfig: false };
}

/**
 * Vocabulary comparison of teacher and student. Qwen2.5 checkpoints pad the embedding matrix to a multiple of
 * 128 or 256 beyond the 151,665 real tokens (0.5B: 151,936; 7B: 152,064), so sizes that differ by less than
 * 1% with both above the real count are only padding: logits must be sliced, but tokens agree.
 */
export function compareVocab(student: number, teacher: number): 'same' | 'padding' | 'mismatch' {
  if (student === teacher) return 'same';
  const lo = Math.min(student, teacher);
  const hi = Math.max(student, teacher);
  return (hi - lo) / hi < 0.01 && hi - lo <= 1024 ? 'padding' : 'mismatch';
}
