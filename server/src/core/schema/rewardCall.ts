// How the engine calls a reward function, declared once here. The generated plan schema carries it as
// `$defs.rewardFunction` (planSchema.ts), which the engine reads (srlm_engine/rewards/signature.py): the checker's
// messages, docs/fields.md and the engine cannot drift apart.

export const REWARD_FUNCTION_DECLARATION = {
  description:
    "THE declaration of how the engine calls a reward function, built in or from reward_file. The engine (srlm_engine/rewards/signature.py), the checker's SRLM056 message and the docs all read it from here.",
  'x-signature': 'def NAME(completions, answers, prompts, **kwargs) -> list[float]',
  'x-arguments': {
    completions: 'list[str]: the sampled completions, special tokens removed (`<think>` tags kept)',
    answers: "list[str]: the dataset's gold answers, one per completion",
    prompts: "list[str]: the dataset's prompts, one per completion",
  },
  'x-extras': {
    completion_lengths: 'list[int]: completion lengths in tokens',
    truncated: 'list[bool]: whether each completion hit max_new_tokens',
    max_new_tokens: "int: the stage's generation limit",
    completion_prefix: 'list[str]: text the chat template opened the answer with (`<think>\\n`), else ""',
  },
  'x-returns': 'list[float]: one finite number per completion',
} as const;

const declaration = REWARD_FUNCTION_DECLARATION;

/** `def NAME(completions, answers, prompts, **kwargs) -> list[float]`. */
export const REWARD_SIGNATURE: string = declaration['x-signature'];
/** Arguments every reward function receives, by keyword, with their meaning. */
export const REWARD_ARGUMENTS: Readonly<Record<string, string>> = declaration['x-arguments'];
/** Extra keywords the engine passes (a function gets those it declares, or all with `**kwargs`). */
export const REWARD_EXTRAS: Readonly<Record<string, string>> = declaration['x-extras'];
export const REWARD_RETURNS: string = declaration['x-returns'];

/** The signature a user function named `name` should have. */
export function rewardSignature(name: string): string {
  return REWARD_SIGNATURE.replace('NAME', name);
}
