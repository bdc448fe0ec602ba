// Every token and node kind of the lossless syntax tree. Token kinds come first so `isToken` is one compare.
export enum SyntaxKind {
  // trivia tokens
  /** Blanks and line breaks together. */
  Whitespace,
  /** Reserved: line breaks are part of Whitespace tokens (kept so kind numbers stay stable). */
  Newline,
  Comment,
  // significant tokens
  Ident,
  Number,
  String,
  True,
  False,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Eq,
  Comma,
  Plus,
  Minus,
  Star,
  Slash,
  /** A run of characters that start no token; always reported. */
  Unknown,
  // nodes
  File,
  Block,
  Label,
  BlockBody,
  Attribute,
  Literal,
  NameRef,
  Call,
  ArgList,
  Arg,
  List,
  Binary,
  Unary,
  Paren,
  Error,
}

export const FIRST_NODE_KIND = SyntaxKind.File;

export function isTrivia(kind: SyntaxKind): boolean {
  return kind <= SyntaxKind.Comment;
}

export function kindName(kind: SyntaxKind): string {
  return SyntaxKind[kind];
}

/** How a token kind is shown in "expected …" messages. */
export function tokenDisplay(kind: SyntaxKind): string {
  switch (kind) {
    case SyntaxKind.Ident:
      return 'a name';
    case SyntaxKind.Number:
      return 'a number';
    case SyntaxKind.String:
      return 'a string';
    case SyntaxKind.True:
      return "'true'";
    case SyntaxKind.False:
      return "'false'";
    case SyntaxKind.LBrace:
      return "'{'";
    case SyntaxKind.RBrace:
      return "'}'";
    case SyntaxKind.LParen:
      return "'('";
    case SyntaxKind.RParen:
      return "')'";
    case SyntaxKind.LBracket:
      return "'['";
    case SyntaxKind.RBracket:
      return "']'";
    case SyntaxKind.Eq:
      return "'='";
    case SyntaxKind.Comma:
      return "','";
    case SyntaxKind.Plus:
      return "'+'";
    case SyntaxKind.Minus:
      return "'-'";
    case SyntaxKind.Star:
      return "'*'";
    case SyntaxKind.Slash:
      return "'/'";
    default:
      return kindName(kind);
  }
}
