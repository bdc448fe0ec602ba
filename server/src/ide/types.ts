// The IDE layer's answers as plain data (offsets into the document, markdown strings). The LSP glue maps them
// to protocol types one-to-one; nothing here knows about LSP, so tests and other front ends can use it directly.
import type { Span } from '../core/text/lineIndex';

export type { Span };

export type CompletionKind =
  | 'block'
  | 'stageKind'
  | 'field'
  | 'enum'
  | 'reference'
  | 'path'
  | 'folder'
  | 'model'
  | 'reward'
  | 'function'
  | 'snippet'
  | 'value';

export interface IdeCompletion {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  /** Text to insert; a snippet with `${1:…}` placeholders when `snippet` is true. */
  insertText?: string;
  snippet?: boolean;
  /** The span the insertion replaces (the partial word at the cursor). */
  replace?: Span;
  sortText?: string;
  filterText?: string;
  /** Re-trigger completion after inserting (e.g. after `key = `). */
  retrigger?: boolean;
}

export interface IdeHover {
  markdown: string;
  span: Span;
}

export interface IdeSignature {
  label: string;
  documentation?: string;
  parameters: { label: string; documentation?: string }[];
  activeParameter: number;
}

export interface IdeEdit {
  span: Span;
  newText: string;
}

export type IdeSymbolKind = 'pipeline' | 'model' | 'dataset' | 'stage' | 'eval' | 'block' | 'field';

export interface IdeSymbol {
  name: string;
  detail?: string;
  kind: IdeSymbolKind;
  span: Span;
  selectionSpan: Span;
  children: IdeSymbol[];
}

export interface IdeFold {
  startLine: number;
  endLine: number;
  kind?: 'comment' | 'region';
}

/** Offsets of a nested chain of selection ranges, innermost first. */
export type IdeSelection = Span[];

export const SEMANTIC_TOKEN_TYPES = [
  'keyword',
  'type',
  'class',
  'property',
  'variable',
  'function',
  'enumMember',
  'string',
  'number',
  'comment',
  'operator',
  'parameter',
] as const;
export type SemanticTokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];
export const SEMANTIC_TOKEN_MODIFIERS = ['declaration', 'readonly', 'defaultLibrary', 'deprecated'] as const;
export type SemanticTokenModifier = (typeof SEMANTIC_TOKEN_MODIFIERS)[number];

export interface IdeSemanticToken {
  span: Span;
  type: SemanticTokenType;
  modifiers: SemanticTokenModifier[];
}

export interface IdeLink {
  span: Span;
  /** Absolute file-system path. */
  target: string;
  tooltip?: string;
}

export interface IdeInlayHint {
  offset: number;
  label: string;
  tooltip?: string;
  kind: 'default' | 'estimate';
  paddingLeft?: boolean;
}

export interface IdeCodeLens {
  span: Span;
  title: string;
  command: 'srlm.runPipeline' | 'srlm.runFromStage';
  /** [document uri] or [document uri, stage name]. */
  args: string[];
}

export interface IdeCodeAction {
  title: string;
  edits: IdeEdit[];
  preferred: boolean;
  /** Identity of the diagnostic it fixes (code + span), for LSP's `diagnostics` field. */
  diagnostic: { code: string; span: Span; message: string };
}
