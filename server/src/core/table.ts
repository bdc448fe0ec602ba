// Lookup tables keyed by names a user writes (block kinds, reward functions, losses, hub ids) have no
// prototype: with a plain object literal, `reward = constructor` was found "in" the built-in rewards and
// `nestedBlockSpecs['toString']` returned a function.

/** A frozen copy of `entries` without a prototype, so only its own keys are found. */
export function table<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
