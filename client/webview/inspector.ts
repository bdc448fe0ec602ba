// Entry of the checkpoint inspector webview (bundled to dist/webview/inspector.js). Renders checkpoint metadata,
// metrics and eval samples per column, and streams generations with each token coloured by its probability.
// Builds the DOM with textContent only: checkpoint files and model output are untrusted text.
import './inspector.css';
import {
  DEFAULT_REQUEST,
  type CheckpointInfo,
  type GenerateRequest,
  type HostMessage,
  type TokenView,
  type WebviewMessage,
} from '../src/inspector/protocol';
import { runView, type RunView } from '../src/inspector/tokenText';
import { tokenRuns } from '../../runtime/src/inference/tokenRuns';

declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
};

interface SavedState {
  checkpoints: string[];
  request: GenerateRequest;
}

const vscode = acquireVsCodeApi();
const send = (m: WebviewMessage) => vscode.postMessage(m);

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { cls?: string; text?: string; attrs?: Record<string, string> } = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.cls) e.className = props.cls;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toFixed(4);
}

function table(rows: [string, string][]): HTMLTableElement {
  return el(
    'table',
    { cls: 'kv' },
    rows.map(([k, v]) => el('tr', {}, [el('th', { text: k }), el('td', { text: v })])),
  );
}

/** A run of tokens as one span; several tokens add a mark each (empty elements: copying the output copies text). */
function runElement(v: RunView): HTMLSpanElement {
  const cls = `tok band-${v.band}${v.special ? ' special' : ''}${v.incomplete ? ' incomplete' : ''}`;
  const span = el('span', { cls: v.parts.length > 0 ? `${cls} run` : cls, text: v.text });
  span.title = v.title;
  span.dataset.logprob = String(v.logprob);
  if (v.parts.length > 0) {
    const marks = el('span', { cls: 'parts', attrs: { 'aria-hidden': 'true' } });
    for (const part of v.parts) {
      const mark = el('i', { cls: `tok band-${part.band}` });
      mark.title = part.title;
      marks.append(mark);
    }
    span.append(marks);
  }
  return span;
}

class Column {
  readonly root = el('section', { cls: 'column' });
  private readonly status = el('div', { cls: 'status' });
  private readonly output = el('pre', { cls: 'output', attrs: { 'aria-label': 'generated text' } });
  private partial: TokenView[] = [];
  private readonly summary = el('div', { cls: 'summary' });
  private readonly gold = el('div', { cls: 'gold' });
  private readonly details = el('div', { cls: 'details' });
  run = -1;

  constructor(
    private info: CheckpointInfo,
    private readonly index: number,
    private readonly canExport: boolean,
  ) {
    this.root.dataset.column = String(index);
    this.render();
  }

  update(info: CheckpointInfo): void {
    this.info = info;
    this.render();
  }

  private render(): void {
    const i = this.info;
    const meta: [string, string][] = [
      ['stage', i.stage ? `${i.stage}${i.kind ? ` (${i.kind})` : ''}` : '—'],
      [
        'step',
        i.step === undefined ? '—' : `${i.step}${i.totalSteps ? ` / ${i.totalSteps}` : ''}${i.final ? ' (final)' : ''}`,
      ],
      ['parent', i.parent ?? i.baseModel ?? '—'],
      ['stage hash', i.stageHash ?? '—'],
      ['plan hash', i.planHash ? i.planHash.slice(0, 16) : '—'],
      ['saved', i.savedAt ? new Date(i.savedAt * 1000).toLocaleString() : '—'],
      ['path', i.path],
    ];
    const parts: Node[] = [
      el('details', { attrs: { open: '' } }, [el('summary', { text: 'Checkpoint' }), table(meta)]),
    ];
    const metrics = Object.entries(i.metrics);
    if (metrics.length > 0) {
      parts.push(
        el('details', { attrs: { open: '' } }, [
          el('summary', { text: 'Metrics at save' }),
          table(metrics.map(([k, v]) => [k, fmt(v)])),
        ]),
      );
    }
    for (const [name, m] of Object.entries(i.evalMetrics)) {
      parts.push(
        el('details', {}, [
          el('summary', { text: `Eval ${name}` }),
          table(Object.entries(m).map(([k, v]) => [k, fmt(v)])),
        ]),
      );
    }
    for (const group of i.samples) {
      parts.push(
        el('details', { cls: 'samples' }, [
          el('summary', { text: `Eval samples: ${group.eval} (step ${group.step ?? '?'}, ${group.samples.length})` }),
          ...group.samples.map((s) =>
            el('div', { cls: `sample ${s.correct === true ? 'ok' : s.correct === false ? 'bad' : ''}` }, [
              el('div', {
                cls: 'sample-head',
                text: `${s.correct === true ? '✓' : s.correct === false ? '✗' : '·'} gold ${s.answer ?? '—'}${s.truncated ? ' · truncated' : ''}`,
              }),
              el('pre', { cls: 'sample-prompt', text: s.prompt }),
              el('pre', { cls: 'sample-completion', text: s.completion }),
            ]),
          ),
        ]),
      );
    }
    if (i.exportProblem) {
      const notice = el('div', { cls: 'notice' }, [el('p', { text: i.exportProblem })]);
      if (this.canExport) {
        const b = el('button', { text: 'Export to ONNX' });
        b.addEventListener('click', () => send({ type: 'export', column: this.index }));
        notice.append(b);
      }
      parts.push(notice);
    }
    for (const w of i.warnings) parts.push(el('p', { cls: 'warning', text: w }));
    this.details.replaceChildren(...parts);
    this.root.replaceChildren(
      el('h2', { text: i.label }),
      this.status,
      this.output,
      this.summary,
      this.gold,
      this.details,
    );
  }

  start(run: number): void {
    this.run = run;
    this.partial = [];
    this.output.replaceChildren();
    this.summary.textContent = '';
    this.gold.textContent = '';
    this.gold.className = 'gold';
    this.root.classList.remove('failed');
  }

  setStatus(text: string, busy: boolean): void {
    this.status.textContent = text;
    this.root.classList.toggle('busy', busy);
  }

  append(tokens: TokenView[]): void {
    // A character split over several tokens may straddle two messages: hold partial tokens until it completes.
    for (const t of tokens) {
      this.partial.push(t);
      if (!t.partial) this.flushRun();
    }
  }

  private flushRun(): void {
    for (const run of tokenRuns(this.partial)) this.output.append(runElement(runView(run)));
    this.partial = [];
  }

  done(m: Extract<HostMessage, { type: 'done' }>): void {
    this.flushRun();
    const s = m.summary;
    this.summary.textContent =
      `${s.tokens} tokens · ${s.finishReason} · prompt ${s.promptTokens} tokens · first token ${s.firstTokenMs.toFixed(0)} ms · ` +
      `${s.decodeTokensPerSecond.toFixed(1)} tokens/s · ${s.provider}`;
    if (m.gold) {
      const g = m.gold;
      this.gold.className = `gold ${g.correct ? 'ok' : 'bad'}`;
      this.gold.textContent = g.correct
        ? `✓ answer ${g.extracted} matches the gold answer`
        : g.extracted === null
          ? `✗ no \\boxed{} or #### answer found (gold ${g.gold})`
          : `✗ answer ${g.extracted}, gold ${g.gold}`;
    }
  }

  error(message: string): void {
    this.root.classList.add('failed');
    this.summary.textContent = message;
  }
}

class Inspector {
  private columns: Column[] = [];
  // novalidate: values are clamped in request(); browser step validation would silently block submitting.
  private readonly form = el('form', { cls: 'prompt', attrs: { novalidate: '' } });
  private readonly prompt = el('textarea', { attrs: { rows: '4', placeholder: 'Ask the checkpoint…', id: 'prompt' } });
  private readonly goldInput = el('input', {
    attrs: { type: 'text', placeholder: 'gold answer (optional)', id: 'gold' },
  });
  private readonly maxTokens = el('input', { attrs: { type: 'number', min: '1', max: '4096', id: 'max-new-tokens' } });
  private readonly temperature = el('input', {
    attrs: { type: 'number', min: '0', max: '5', step: '0.1', id: 'temperature' },
  });
  private readonly topP = el('input', { attrs: { type: 'number', min: '0.01', max: '1', step: '0.05', id: 'top-p' } });
  private readonly seed = el('input', { attrs: { type: 'number', step: '1', id: 'seed' } });
  private readonly raw = el('input', { attrs: { type: 'checkbox', id: 'raw' } });
  private readonly generateBtn = el('button', { text: 'Generate', attrs: { type: 'submit', id: 'generate' } });
  private readonly stopBtn = el('button', { text: 'Stop', attrs: { type: 'button', id: 'stop' } });
  private readonly grid = el('div', { cls: 'columns' });
  private readonly errors = el('div', { cls: 'errors', attrs: { role: 'alert' } });
  private running = 0;

  constructor(private readonly root: HTMLElement) {
    const label = (text: string, input: HTMLElement) => el('label', {}, [text, input]);
    this.form.append(
      this.prompt,
      el('div', { cls: 'row' }, [
        label('Gold ', this.goldInput),
        label('Max tokens ', this.maxTokens),
        label('Temperature ', this.temperature),
        label('Top-p ', this.topP),
        label('Seed ', this.seed),
        label('Raw prompt ', this.raw),
        this.generateBtn,
        this.stopBtn,
      ]),
    );
    const legend = el('div', { cls: 'legend' }, [
      'token probability: ',
      ...['≥ 0.9', '≥ 0.6', '≥ 0.3', '≥ 0.1', '< 0.1'].map((t, i) => el('span', { cls: `tok band-${i}`, text: t })),
    ]);
    this.root.replaceChildren(this.form, legend, this.errors, this.grid);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.prompt.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.submit();
      }
    });
    this.stopBtn.addEventListener('click', () => send({ type: 'cancel' }));
    this.setRequest((vscode.getState() as SavedState | undefined)?.request ?? DEFAULT_REQUEST);
    this.setRunning(0);
  }

  private setRequest(r: GenerateRequest): void {
    this.prompt.value = r.prompt;
    this.goldInput.value = r.gold ?? '';
    this.maxTokens.value = String(r.maxNewTokens);
    this.temperature.value = String(r.temperature);
    this.topP.value = String(r.topP);
    this.seed.value = String(r.seed);
    this.raw.checked = r.raw;
  }

  private request(): GenerateRequest {
    const n = (i: HTMLInputElement, d: number) => (Number.isFinite(i.valueAsNumber) ? i.valueAsNumber : d);
    return {
      prompt: this.prompt.value,
      gold: this.goldInput.value.trim() || undefined,
      maxNewTokens: Math.max(1, Math.round(n(this.maxTokens, DEFAULT_REQUEST.maxNewTokens))),
      temperature: Math.max(0, n(this.temperature, 0)),
      topP: Math.min(1, Math.max(0.01, n(this.topP, 1))),
      seed: Math.round(n(this.seed, 0)),
      raw: this.raw.checked,
    };
  }

  private save(): void {
    vscode.setState({ checkpoints: this.columns.map((c) => c.root.dataset.path ?? ''), request: this.request() });
  }

  private submit(): void {
    const r = this.request();
    if (!r.prompt.trim()) return;
    this.errors.replaceChildren();
    this.save();
    send({ type: 'generate', ...r });
  }

  private setRunning(n: number): void {
    this.running = Math.max(0, n);
    this.stopBtn.disabled = this.running === 0;
    this.root.classList.toggle('running', this.running > 0);
  }

  handle(m: HostMessage): void {
    switch (m.type) {
      case 'init':
        this.columns = m.columns.map((info, i) => {
          const c = new Column(info, i, m.canExport);
          c.root.dataset.path = info.path;
          return c;
        });
        this.grid.style.setProperty('--columns', String(this.columns.length));
        this.grid.replaceChildren(...this.columns.map((c) => c.root));
        if (m.request && !this.prompt.value) this.setRequest(m.request);
        this.save();
        break;
      case 'column':
        this.columns[m.column]?.update(m.info);
        break;
      case 'status':
        this.columns[m.column]?.setStatus(m.text, m.busy);
        break;
      case 'started':
        this.columns[m.column]?.start(m.run);
        this.setRunning(this.running + 1);
        break;
      case 'tokens': {
        const c = this.columns[m.column];
        if (c && c.run === m.run) c.append(m.tokens);
        break;
      }
      case 'done':
        this.columns[m.column]?.done(m);
        this.setRunning(this.running - 1);
        break;
      case 'error':
        if (m.column !== undefined && m.run !== undefined) {
          this.columns[m.column]?.error(m.message);
          this.setRunning(this.running - 1);
        } else {
          this.errors.append(el('p', { text: m.message }));
        }
        break;
    }
  }
}

const inspector = new Inspector(document.getElementById('app') ?? document.body);
window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  if (e.data && typeof e.data === 'object' && 'type' in e.data) inspector.handle(e.data);
});
send({ type: 'ready' });
