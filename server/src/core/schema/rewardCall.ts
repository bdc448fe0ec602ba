// How the engine calls a reward function, read from its one declaration in runtime/plan.schema.json
// ($defs.rewardFunction), which the engine reads too (srlm_engine/rewards/signature.py): the checker's messages
// and docs/fields.md cannot drift from what the engine does.
import planSchema from '../../../../runtime/plan.schema.json';

interface RewardFunctionDeclaration {
  readonly 'x-signature': string;
  readonly 'x-arguments': Readonly<Record<string, string>>;
  readonly 'x-extras': Readonly<Record<string, string>>;
  readonly 'x-returns': string;
}

const declaration = (planSchema as unknown as { $defs: { rewardFunction: RewardFunctionDeclaration } }).$defs
  .rewardFunction;

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
