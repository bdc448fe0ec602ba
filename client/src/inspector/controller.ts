// The inspector's host-side logic, free of the vscode module so tests drive it directly: it answers webview
// messages by reading checkpoint info, generating on each column's checkpoint concurrently, and streaming tokens.
import { extractAnswer, isCorrect } from '../../../runtime/src/inference/answer';
import { readCheckpointInfo } from '../../../runtime/src/inference/checkpointInfo';
import type { CheckpointGenerator } from '../../../runtime/src/inference/checkpointGenerator';
import type { GeneratedToken } from '../../../runtime/src/inference/generate';
import type { GenerateRequest, GoldCheck, HostMessage, TokenView, WebviewMessage } from './protocol';

export interface ControllerDeps {
  /** Opens a checkpoint for generation (loads onnxruntime-node on first call). */
  openGenerator(checkpoint: string): Promise<CheckpointGenerator>;
  /** Exports a checkpoint to ONNX; undefined where exporting is not allowed (untrusted workspace, no Python). */
  runExport?: (checkpoint: string, log: (line: string) => void) => Promise<void>;
}

/** Tokens are sent in small batches: one message per token floods the webview at hundreds of tokens/s. */
const FLUSH_MS = 30;

export class InspectorController {
  private readonly generators = new Map<number, Promise<CheckpointGenerator>>();
  private current: AbortController | undefined;
  private runCounter = 0;
  private lastRequest: GenerateRequest | undefined;
  private disposed = false;

  constructor(
    readonly checkpoints: readonly string[],
    private readonly post: (m: HostMessage) => void,
    private readonly deps: ControllerDeps,
  ) {}

  async handle(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.post({
          type: 'init',
          columns: this.checkpoints.map((c) => readCheckpointInfo(c)),
          canExport: this.deps.runExport !== undefined,
          request: this.lastRequest,
        });
        return;
      case 'generate': {
        const { type: _t, ...request } = msg;
        return this.generateAll(request);
      }
      case 'cancel':
        this.current?.abort();
        return;
      case 'export':
        return this.exportColumn(msg.column);
    }
  }

  private generator(column: number): Promise<CheckpointGenerator> {
    let g = this.generators.get(column);
    if (!g) {
      g = this.deps.openGenerator(this.checkpoints[column]!);
      // A failed open is not cached, so exporting and retrying works without reopening the panel.
      g.catch(() => this.generators.delete(column));
      this.generators.set(column, g);
    }
    return g;
  }

  private async generateAll(request: GenerateRequest): Promise<void> {
    this.current?.abort();
    const ctrl = new AbortController();
    this.current = ctrl;
    this.lastRequest = request;
    const run = ++this.runCounter;
    await Promise.all(this.checkpoints.map((_, column) => this.generateOne(run, column, request, ctrl.signal)));
    if (this.current === ctrl) this.current = undefined;
  }

  private async generateOne(run: number, column: number, req: GenerateRequest, signal: AbortSignal): Promise<void> {
    this.post({ type: 'started', run, column });
    let pending: TokenView[] = [];
    let lastFlush = Date.now();
    const flush = () => {
      if (pending.length > 0 && !this.disposed) this.post({ type: 'tokens', run, column, tokens: pending });
      pending = [];
      lastFlush = Date.now();
    };
    try {
      this.post({ type: 'status', column, text: 'loading model…', busy: true });
      const gen = await this.generator(column);
      this.post({ type: 'status', column, text: `generating on ${gen.model.provider}…`, busy: true });
      const res = await gen.generate(req.prompt, {
        maxNewTokens: req.maxNewTokens,
        temperature: req.temperature,
        topP: req.topP,
        seed: req.seed,
        raw: req.raw,
        signal,
        onToken: (t: GeneratedToken) => {
          pending.push({
            id: t.id,
            token: t.token,
            text: t.text,
            partial: t.partial,
            logprob: t.logprob,
            entropy: t.entropy,
            special: t.special,
          });
          if (Date.now() - lastFlush >= FLUSH_MS) flush();
        },
      });
      flush();
      let gold: GoldCheck | undefined;
      if (req.gold && req.gold.trim()) {
        try {
          gold = { gold: req.gold, extracted: extractAnswer(res.text) ?? null, correct: isCorrect(res.text, req.gold) };
        } catch (err) {
          this.post({ type: 'error', run, column, message: err instanceof Error ? err.message : String(err) });
        }
      }
      this.post({
        type: 'done',
        run,
        column,
        summary: {
          finishReason: res.finishReason,
          tokens: res.tokens.length,
          promptTokens: res.promptTokens,
          firstTokenMs: res.firstTokenMs,
          decodeTokensPerSecond: res.decodeTokensPerSecond,
          provider: gen.model.provider,
        },
        gold,
      });
      this.post({ type: 'status', column, text: '', busy: false });
    } catch (err) {
      flush();
      this.post({ type: 'status', column, text: '', busy: false });
      this.post({ type: 'error', run, column, message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async exportColumn(column: number): Promise<void> {
    const checkpoint = this.checkpoints[column];
    if (checkpoint === undefined || !this.deps.runExport) return;
    this.post({ type: 'status', column, text: 'exporting to ONNX (python -m srlm_engine.export)…', busy: true });
    try {
      await this.deps.runExport(checkpoint, (line) =>
        this.post({ type: 'status', column, text: line.slice(0, 200), busy: true }),
      );
      this.generators.delete(column);
      this.post({ type: 'column', column, info: readCheckpointInfo(checkpoint) });
      this.post({ type: 'status', column, text: 'exported', busy: false });
    } catch (err) {
      this.post({ type: 'status', column, text: '', busy: false });
      this.post({ type: 'error', column, message: err instanceof Error ? err.message : String(err) });
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.current?.abort();
    const gens = [...this.generators.values()];
    this.generators.clear();
    await Promise.all(gens.map((g) => g.then((x) => x.dispose()).catch(() => undefined)));
  }
}
