import type { CliCommand } from './command';
import { generateCommand } from './commands/generate';

// Each command module registers itself here with one import and one list entry.
export const commands: readonly CliCommand[] = [generateCommand];
