// Public surface of in-editor inference. Importing this module does not load onnxruntime-node; opening a
// checkpoint does.
export { CheckpointGenerator, type PromptOptions } from './checkpointGenerator';
export type { FinishReason, GeneratedToken, GenerationOptions, GenerationResult } from './generate';
export { ExportNotFoundError, findExportDir, hasExport, readManifest, type OnnxManifest } from './manifest';
export { OrtUnavailableError, type ExecutionProviderName, type ProviderPreference } from './ort';
export { extractAnswer, isCorrect } from './answer';
export { bytesLabel, tokenBytes, tokenRuns, type RunToken, type TokenRun } from './tokenRuns';
export { readCheckpointInfo, findRunDir, type CheckpointInfo, type EvalSample } from './checkpointInfo';
