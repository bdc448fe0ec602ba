// The stable diagnostic codes. A code never changes meaning once released; retired codes stay reserved.
// docs/fields.md lists this table (generated), so every code a user sees is documented.

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface CodeInfo {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
}

function c(code: string, severity: Severity, title: string): CodeInfo {
  return { code, severity, title };
}

export const Codes = {
  // lexical and syntax (001–009)
  unexpectedCharacter: c('SRLM001', 'error', 'unexpected character'),
  unterminatedString: c('SRLM002', 'error', 'unterminated string'),
  invalidEscape: c('SRLM003', 'error', 'invalid escape sequence or number'),
  syntax: c('SRLM004', 'error', 'syntax error'),
  tooDeep: c('SRLM005', 'error', 'nesting too deep'),
  tooLarge: c('SRLM006', 'error', 'file too large to analyse'),
  tooManyErrors: c('SRLM007', 'info', 'further errors not shown'),
  invalidEncoding: c('SRLM008', 'error', 'file is not valid UTF-8'),
  // structure (010–019)
  pipelineCount: c('SRLM010', 'error', 'a file holds exactly one pipeline block'),
  unknownBlock: c('SRLM011', 'error', 'unknown or misplaced block'),
  unknownField: c('SRLM012', 'error', 'unknown field'),
  renamedField: c('SRLM013', 'warning', 'field has been renamed (alias)'),
  duplicateField: c('SRLM014', 'error', 'field or block given twice'),
  missingRequired: c('SRLM015', 'error', 'missing required field'),
  labels: c('SRLM016', 'error', 'wrong block labels'),
  unknownStageKind: c('SRLM017', 'error', 'unknown stage kind'),
  // values (020–029)
  typeMismatch: c('SRLM020', 'error', 'wrong value type'),
  outOfRange: c('SRLM021', 'error', 'value out of range'),
  unknownEnum: c('SRLM022', 'error', 'value not among the allowed ones'),
  badExpression: c('SRLM023', 'error', 'malformed expression'),
  // names and references (030–039)
  unknownReference: c('SRLM030', 'error', 'unknown reference'),
  duplicateName: c('SRLM031', 'error', 'name defined twice'),
  wrongKindReference: c('SRLM032', 'error', 'reference to the wrong kind of block'),
  usedBeforeDefined: c('SRLM033', 'error', 'stage used before it is defined'),
  cyclicReference: c('SRLM034', 'error', 'cyclic reference'),
  sameVariant: c('SRLM035', 'error', 'two study variants are the same'),
  // cross-field (040–049)
  batchArithmetic: c('SRLM040', 'error', 'batch sizes do not divide'),
  incompatibleOptions: c('SRLM041', 'error', 'incompatible options'),
  datasetFieldNeeded: c('SRLM042', 'error', 'dataset lacks a column the stage needs'),
  unknownReward: c('SRLM043', 'error', 'unknown reward function'),
  ignoredOption: c('SRLM044', 'warning', 'option has no effect'),
  noStages: c('SRLM045', 'warning', 'pipeline has no stages'),
  unused: c('SRLM046', 'hint', 'defined but never used'),
  suspicious: c('SRLM047', 'warning', 'suspicious setting'),
  emptyStudy: c('SRLM048', 'error', 'study has no variants'),
  variantStages: c('SRLM049', 'error', 'variant stages or settings cannot be combined'),
  // file-system checks through the host (050–069)
  datasetMissing: c('SRLM050', 'error', 'dataset file not found'),
  datasetUnreadable: c('SRLM051', 'error', 'dataset rows are not valid'),
  datasetColumnMissing: c('SRLM052', 'error', 'dataset rows lack a named column'),
  modelConfig: c('SRLM053', 'error', 'model folder or config.json unreadable'),
  vocabMismatch: c('SRLM054', 'warning', 'teacher and student vocabularies differ'),
  chatTemplate: c('SRLM055', 'warning', 'chat template lacks what the stage needs'),
  rewardFunctionMissing: c('SRLM056', 'error', 'reward function not defined in reward_file'),
  rewardFileMissing: c('SRLM057', 'error', 'reward file not found'),
  truncation: c('SRLM058', 'warning', 'max_new_tokens truncates reference answers'),
  memory: c('SRLM059', 'warning', 'memory estimate above the GPU memory'),
  hostFailure: c('SRLM060', 'warning', 'a file check could not run'),
  positionLimit: c('SRLM061', 'error', "sequence length beyond the model's max_position_embeddings"),
  datasetNotCached: c('SRLM062', 'warning', 'hub dataset not in the local Hugging Face cache'),
  // the engine's environment (070–079)
  backendMissing: c('SRLM070', 'error', 'metric back-end not installed in the engine environment'),
  environmentUnchecked: c('SRLM071', 'info', 'the engine environment could not be checked'),
} as const;

export type CodeName = keyof typeof Codes;

export const allCodes: readonly CodeInfo[] = Object.values(Codes);
