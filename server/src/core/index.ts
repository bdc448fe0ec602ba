// The public API of the .srlm language core. Plain data only: no `vscode`, no LSP types. Positions are
// LSP-compatible (0-based line, UTF-16 character) and every range also carries offsets (`span`).
//
//   parse(text)            → { tree, diagnostics, lineIndex, file }   lexical + syntax only, never throws
//   analyze(text)          → DocumentModel: tree, symbols (named blocks), references with targets, checked
//                            block values in plan form (`configs`), and all text-only diagnostics
//   check(text, options)   → Promise<Diagnostic[]>: analyze + file checks through a CheckHost (datasets,
//                            model folders, reward files) + any `extraChecks` the caller adds
//   format(text)           → { text, changed } or { error } when the file has syntax errors
//   cursorContext(doc, offset) → block/field/position under the cursor, for completion and hover
//   tokenAtOffset / dumpTree / LineIndex, schema lookups (fieldsFor, blockSpec, fieldDoc, enumValues,
//   describeType, defaultText, resolveDefaults), diagnostic code table (Codes, allCodes).
import {
  analyzeDocument,
  capDiagnostics,
  parseDocument,
  toDiagnostics,
  type DocumentModel,
  type ParsedDocument,
} from './analysis';
import { compareDiagnostics, type Diagnostic, type RawDiagnostic } from './diagnostics/diagnostic';
import { Codes } from './diagnostics/codes';
import { createHostContext, defaultHostChecks, type CheckHost, type HostCheck } from './host';
import type { LineIndex } from './text/lineIndex';
import type { DecodedText } from './text/utf8';

export type { DocumentModel, ParsedDocument } from './analysis';
export type { Diagnostic, Fix, RelatedInfo, TextEdit, RawDiagnostic } from './diagnostics/diagnostic';
export { Codes, allCodes, type CodeInfo, type Severity } from './diagnostics/codes';
export { LineIndex, type Position, type Range, type Span } from './text/lineIndex';
export { decodeUtf8, firstInvalidByte, type DecodedText } from './text/utf8';
export { SyntaxKind, kindName, isTrivia } from './syntax/kinds';
export {
  ancestors,
  childNodes,
  dumpTree,
  forEachToken,
  isNode,
  isToken,
  tokenAtOffset,
  type SyntaxElement,
  type SyntaxNode,
  type SyntaxToken,
} from './syntax/tree';
export { SourceFile, BlockAst, AttributeAst, type LabelAst } from './syntax/ast';
export { lex, decodeString, encodeString, type Token } from './syntax/lexer';
export { MAX_PARSE_CHARS, MAX_DEPTH } from './syntax/parser';
export { valueOf, type Value } from './semantics/values';
export { datasetSourceKind } from './semantics/sources';
export type { BlockSymbol, Reference, Bindings } from './semantics/binder';
export type { BlockConfig } from './semantics/checker';
export * from './schema/lookup';
export * from './schema/blocks';
export * from './schema/rewardCall';
export type * from './schema/types';
export {
  createHostContext,
  datasetFileCheck,
  datasetFormat,
  datasetSampleDiagnostics,
  defaultHostChecks,
  isLocalSource,
  expandHome,
  builtinModelName,
  BUILTIN_MODELS,
  modelFileCheck,
  readDatasetSample,
  readModelConfig,
  rewardFileCheck,
  SAMPLE_ROWS,
  type CheckHost,
  type DatasetSample,
  type FileStat,
  type HostCheck,
  type HostCheckContext,
  type ModelConfigResult,
} from './host';
export { cursorContext, specOfBlock, type CursorContext } from './cursor';
export { format, type FormatResult } from './format/formatter';

export function parse(text: string): ParsedDocument {
  return parseDocument(text);
}

export function analyze(text: string): DocumentModel {
  return analyzeDocument(text);
}

export interface CheckOptions {
  /** Supplies the file system; without one only text-only checks run. */
  host?: CheckHost;
  /** File checks to run instead of `defaultHostChecks` (pass `[...defaultHostChecks, mine]` to add). */
  hostChecks?: readonly HostCheck[];
  /** An already analysed model of the same text (saves a second analysis). */
  document?: DocumentModel;
}

export interface CheckResult {
  document: DocumentModel;
  /** Text-only and file-system diagnostics, sorted by position. */
  diagnostics: Diagnostic[];
}

/**
 * Full check. File checks run only when the text-only pass found no syntax errors in the referenced parts
 * — they still run with semantic errors elsewhere, so a missing dataset is reported next to a typo. A check
 * that throws is reported as SRLM060 instead of failing the whole check.
 */
export async function check(text: string, options: CheckOptions = {}): Promise<CheckResult> {
  const document = options.document ?? analyzeDocument(text);
  if (!options.host) return { document, diagnostics: document.diagnostics };
  const ctx = createHostContext(document, options.host);
  const raw: RawDiagnostic[] = [];
  for (const hc of options.hostChecks ?? defaultHostChecks) {
    try {
      raw.push(...(await hc(ctx)));
    } catch (e) {
      raw.push({
        info: Codes.hostFailure,
        message: `a file check failed: ${e instanceof Error ? e.message : String(e)}`,
        span: { start: 0, end: 0 },
      });
    }
  }
  // File checks report per dataset, model and stage: bounded like the text-only ones.
  const all = document.diagnostics.concat(toDiagnostics(raw, document.lineIndex)).sort(compareDiagnostics);
  return { document, diagnostics: capDiagnostics(all, document.lineIndex) };
}

/** The error for a file read as bytes that is not valid UTF-8, at its first bad byte; undefined when valid. */
export function encodingDiagnostic(decoded: DecodedText, index: LineIndex): Diagnostic | undefined {
  const bad = decoded.invalid;
  if (!bad) return undefined;
  const span = { start: bad.offset, end: Math.min(bad.offset + 1, decoded.text.length) };
  const range = index.rangeOf(span);
  return {
    code: Codes.invalidEncoding.code,
    severity: Codes.invalidEncoding.severity,
    message:
      `the file is not valid UTF-8: byte ${bad.byte} (line ${range.start.line + 1}, column ${range.start.character + 1}) ` +
      'starts no valid character; save the file as UTF-8',
    range,
    span,
  };
}
