// Diagnostics as plain data. Offsets are authoritative inside the core; `range` is filled from them by the
// line index, so the LSP glue and the CLI's JSON output use it directly.
import type { Range, Span } from '../text/lineIndex';
import type { CodeInfo, Severity } from './codes';

export interface TextEdit {
  range: Range;
  /** Offsets of `range`, for callers that work on the text directly. */
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix a user most likely wants (LSP `isPreferred`). */
  preferred?: boolean;
}

export interface RelatedInfo {
  range: Range;
  span: Span;
  message: string;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  range: Range;
  span: Span;
  related?: RelatedInfo[];
  fixes?: Fix[];
  /** `unnecessary` greys the text out in editors (LSP DiagnosticTag.Unnecessary). */
  tags?: 'unnecessary'[];
}

/** A diagnostic before positions are attached; the analysis converts these in one pass. */
export interface RawDiagnostic {
  info: CodeInfo;
  message: string;
  span: Span;
  severity?: Severity;
  related?: { span: Span; message: string }[];
  fixes?: { title: string; edits: { span: Span; newText: string }[]; preferred?: boolean }[];
  tags?: 'unnecessary'[];
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.span.start - b.span.start || a.span.end - b.span.end || a.code.localeCompare(b.code);
}
