import type { CliCommand } from './command';

// Each command module registers itself here with one import and one list entry.
export const commands: readonly CliCommand[] = [];
