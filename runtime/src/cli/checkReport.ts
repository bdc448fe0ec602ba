// Machine-readable reports of `srlm check`: GitHub Actions workflow commands (annotations on the pull request)
// and SARIF 2.1.0 (code scanning, editors, other CI systems). Positions in SARIF are 1-based in UTF-16 code units,
// the same units as the checker's (LSP-shaped) ranges.
import * as path from 'node:path';
import { allCodes, type Diagnostic } from '../../../server/src/core';
import { CLI_VERSION } from './version';

export interface ReportedDiagnostic {
  /** The file as named on the command line (or found below a directory argument). */
  readonly file: string;
  readonly diagnostic: Diagnostic;
}

const GITHUB_LEVEL = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' } as const;

// Workflow-command escaping (actions/toolkit's command.ts): data escapes % CR LF; properties also , and :.
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One `::error file=…,line=…::message` line per diagnostic (hints left out, as in the human output). */
export function githubAnnotations(items: readonly ReportedDiagnostic[]): string {
  return items
    .filter(({ diagnostic: d }) => d.severity !== 'hint')
    .map(({ file, diagnostic: d }) => {
      const { start, end } = d.range;
      const props = [
        `file=${escapeProperty(file)}`,
        `line=${start.line + 1}`,
        `col=${start.character + 1}`,
        `endLine=${end.line + 1}`,
        `endColumn=${end.character + 1}`,
        `title=${escapeProperty(`srlm ${d.code}`)}`,
      ];
      return `::${GITHUB_LEVEL[d.severity]} ${props.join(',')}::${escapeData(d.message)}\n`;
    })
    .join('');
}

/** `file:///home/x` or `file:///C:/x`. */
function fileUri(abs: string): string {
  return encodeURI(
    `file://${abs
      .split(path.sep)
      .join('/')
      .replace(/^([A-Za-z]):/, '/$1:')}`,
  );
}

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note', hint: 'note' } as const;

/** A SARIF 2.1.0 log with one run; file URIs are relative to `cwd` (with `%SRCROOT%`) when below it. */
export function sarifLog(items: readonly ReportedDiagnostic[], cwd: string): object {
  const used = new Set(items.map((i) => i.diagnostic.code));
  const rules = allCodes
    .filter((c) => used.has(c.code))
    .map((c) => ({
      id: c.code,
      shortDescription: { text: c.title },
      defaultConfiguration: { level: SARIF_LEVEL[c.severity] },
    }));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const location = (file: string) => {
    const abs = path.resolve(cwd, file);
    const rel = path.relative(cwd, abs);
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    return inside ? { uri: encodeURI(rel.split(path.sep).join('/')), uriBaseId: '%SRCROOT%' } : { uri: fileUri(abs) };
  };
  const results = items.map(({ file, diagnostic: d }) => ({
    ruleId: d.code,
    ...(ruleIndex.has(d.code) ? { ruleIndex: ruleIndex.get(d.code) } : {}),
    level: SARIF_LEVEL[d.severity],
    message: { text: d.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: location(file),
          region: {
            startLine: d.range.start.line + 1,
            startColumn: d.range.start.character + 1,
            endLine: d.range.end.line + 1,
            endColumn: d.range.end.character + 1,
          },
        },
      },
    ],
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'srlm', version: CLI_VERSION, semanticVersion: CLI_VERSION, rules } },
        originalUriBaseIds: { '%SRCROOT%': { uri: fileUri(cwd).replace(/\/?$/, '/') } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
