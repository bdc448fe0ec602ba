import type { CliCommand } from './command';
import { checkCommand } from './commands/check';
import { fmtCommand } from './commands/fmt';
import { generateCommand } from './commands/generate';

// Each command module registers itself here with one import and one list entry.
export const commands: readonly CliCommand[] = [checkCommand, fmtCommand, generateCommand];
