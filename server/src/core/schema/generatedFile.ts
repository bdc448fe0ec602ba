// The command line of the generators that write files from the language schema (planSchema.ts, planTypes.ts):
// write the file, or with `--check` (CI) fail when the committed file differs from what would be written.
// Only the generators' entry points call this, never the language core itself, which reads no files.

/** Writes `text` to `relPath` (from the repository root), or checks it with `--check`; exits 1 when stale. */
export function writeOrCheckGenerated(relPath: string, text: string, command: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  const target = path.join(__dirname, '..', '..', '..', '..', relPath);
  if (process.argv.includes('--check')) {
    const have = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (have !== text) {
      console.error(`${relPath} is out of date: run ${command}`);
      process.exit(1);
    }
    console.log(`${relPath} is up to date`);
  } else {
    fs.writeFileSync(target, text);
    console.log(`wrote ${relPath}`);
  }
}
