import type { CliCommand } from './command';
import { cardCommand } from './commands/card';
import { checkCommand } from './commands/check';
import { exportCommand } from './commands/export';
import { compareCommand } from './commands/compare';
import { completionCommand } from './commands/completion';
import { fmtCommand } from './commands/fmt';
import { generateCommand } from './commands/generate';
import { logsCommand } from './commands/logs';
import { pullCommand } from './commands/pull';
import { pushCommand } from './commands/push';
import { resumeCommand } from './commands/resume';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { setupCommand } from './commands/setup';
import { showCommand } from './commands/show';
import { stopCommand } from './commands/stop';
import { watchCommand } from './commands/watch';

// Each command module registers itself here with one import and one list entry.
export const commands: readonly CliCommand[] = [
  checkCommand,
  fmtCommand,
  runCommand,
  pullCommand,
  runsCommand,
  showCommand,
  compareCommand,
  watchCommand,
  stopCommand,
  resumeCommand,
  logsCommand,
  setupCommand,
  generateCommand,
  exportCommand,
  cardCommand,
  pushCommand,
  completionCommand,
];
