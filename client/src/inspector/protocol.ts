// Messages between the inspector's extension-host side and its webview. Plain data only; both sides import
// this file (the webview bundle takes the pure helpers, the host the types).
import type { CheckpointInfo } from '../../../runtime/src/inference/checkpointInfo';

export type { CheckpointInfo };

export interface GenerateRequest {
  readonly prompt: string;
  /** Optional gold answer, checked with the engine's extraction rules. */
  readonly gold?: string;
  readonly maxNewTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
  readonly raw: boolean;
}

export interface TokenView {
  readonly id: number;
  readonly token: string;
  readonly text: string;
  /** Ends inside a multi-byte character; shown with the token that completes it (`tokenRuns`). */
  readonly partial: boolean;
  readonly logprob: number;
  readonly entropy: number;
  readonly special: boolean;
}

export interface GoldCheck {
  readonly gold: string;
  readonly extracted: string | null;
  readonly correct: boolean;
}

export interface RunSummary {
  readonly finishReason: 'eos' | 'length' | 'cancelled';
  readonly tokens: number;
  readonly promptTokens: number;
  readonly firstTokenMs: number;
  readonly decodeTokensPerSecond: number;
  readonly provider: string;
}

export type HostMessage =
  | { type: 'init'; columns: CheckpointInfo[]; canExport: boolean; request?: GenerateRequest }
  | { type: 'column'; column: number; info: CheckpointInfo }
  | { type: 'status'; column: number; text: string; busy: boolean }
  | { type: 'started'; run: number; column: number }
  | { type: 'tokens'; run: number; column: number; tokens: TokenView[] }
  | { type: 'done'; run: number; column: number; summary: RunSummary; gold?: GoldCheck }
  | { type: 'error'; run?: number; column?: number; message: string };

export type WebviewMessage =
  | { type: 'ready' }
  | ({ type: 'generate' } & GenerateRequest)
  | { type: 'cancel' }
  | { type: 'export'; column: number };

/** Five colour bands by token probability, from confident (0) to very unsure (4); the CSS names the colours. */
export function logprobBand(logprob: number): 0 | 1 | 2 | 3 | 4 {
  const p = Math.exp(logprob);
  if (p >= 0.9) return 0;
  if (p >= 0.6) return 1;
  if (p >= 0.3) return 2;
  if (p >= 0.1) return 3;
  return 4;
}

export const DEFAULT_REQUEST: GenerateRequest = {
  prompt: '',
  maxNewTokens: 128,
  temperature: 0,
  topP: 1,
  seed: 0,
  raw: false,
};
