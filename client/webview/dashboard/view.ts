// The dashboard page: toolbar, stage timeline, per-stage chart sections, RL samples and eval tables. Renders
// at most once per animation frame however many messages arrive; the header and timeline every time, the charts
// and tables only when the run's data or the overlay changed.
import { compareMetrics, describeSampling } from '../../../runtime/src/events/evalMetrics';
import { formatElapsed } from '../../../server/src/core/text/duration';
import { MetricChart, type ChartLine, type Theme, type ViewOptions } from './chart';
import { RunModel, metricFamily, orderFamilies } from './model';
import {
  HIDDEN_METRICS,
  METRIC_GROUPS,
  type DashboardState,
  type HostMessage,
  type StageInfo,
  type WebviewMessage,
} from './protocol';

export interface HostApi {
  postMessage(msg: WebviewMessage): void;
  getState(): DashboardState | undefined;
  setState(s: DashboardState): void;
}

const PALETTE_VARS = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-purple',
  '--vscode-charts-red',
  '--vscode-charts-yellow',
];
const PALETTE_FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Dashboard {
  readonly model = new RunModel();
  readonly overlay = new RunModel();
  private charts = new Map<string, MetricChart>();
  private sections = new Map<string, HTMLElement>();
  private opts: ViewOptions;
  private dirty = false;
  private renderedVersion = -1;
  private renderedOverlay = -1;
  private theme: Theme;
  private palette: string[];
  /** Called after each render; the benchmark waits on it. */
  onRendered: ((ms: number) => void) | undefined;

  private header = el('header', 'run-header');
  private statusEl = el('span', 'run-status');
  private titleEl = el('span', 'run-title');
  private timeline = el('div', 'timeline');
  private chartsEl = el('div', 'charts');
  private warningsEl = el('ul', 'warnings');
  private samplesBody = el('tbody');
  private evalHead = el('thead');
  private evalBody = el('tbody');
  private overlayLabel = el('span', 'overlay-label');

  constructor(
    private readonly root: HTMLElement,
    private readonly host: HostApi,
  ) {
    const st = host.getState();
    this.opts = { xAxis: st?.xAxis ?? 'step', logScale: st?.logScale ?? false, smoothing: st?.smoothing ?? 0.6 };
    this.theme = {
      foreground: cssVar('--vscode-foreground', '#cccccc'),
      grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)'),
      font: `11px ${cssVar('--vscode-font-family', 'sans-serif')}`,
    };
    this.palette = PALETTE_VARS.map((v, i) => cssVar(v, PALETTE_FALLBACK[i]));
    this.buildChrome();
    window.addEventListener('resize', () => {
      for (const c of this.charts.values()) c.resize();
      this.invalidate(true);
    });
  }

  private buildChrome(): void {
    this.titleEl.textContent = 'waiting for run data…';
    this.header.append(this.titleEl, this.statusEl);
    const bar = el('div', 'toolbar');
    const xSel = el('select');
    xSel.id = 'x-axis';
    xSel.title = 'x-axis';
    for (const v of ['step', 'time'] as const) {
      const o = el('option', undefined, v === 'step' ? 'x: step' : 'x: time');
      o.value = v;
      xSel.append(o);
    }
    xSel.value = this.opts.xAxis;
    xSel.addEventListener('change', () => this.setOption({ xAxis: xSel.value as 'step' | 'time' }));
    const logLbl = el('label');
    const log = el('input');
    log.type = 'checkbox';
    log.id = 'log-scale';
    log.checked = this.opts.logScale;
    log.addEventListener('change', () => this.setOption({ logScale: log.checked }));
    logLbl.append(log, ' log scale');
    const smLbl = el('label', undefined, 'smoothing ');
    const sm = el('input');
    sm.type = 'range';
    sm.id = 'smoothing';
    sm.min = '0';
    sm.max = '0.99';
    sm.step = '0.01';
    sm.value = String(this.opts.smoothing);
    const smVal = el('span', 'smoothing-value', this.opts.smoothing.toFixed(2));
    sm.addEventListener('input', () => {
      smVal.textContent = Number(sm.value).toFixed(2);
      this.setOption({ smoothing: Number(sm.value) });
    });
    smLbl.append(sm, smVal);
    const cmp = el('button', undefined, 'Compare with run…');
    cmp.id = 'compare';
    cmp.addEventListener('click', () => this.host.postMessage({ type: 'pickOverlay' }));
    const clr = el('button', 'secondary', 'Clear comparison');
    clr.id = 'clear-compare';
    clr.addEventListener('click', () => this.host.postMessage({ type: 'clearOverlay' }));
    bar.append(xSel, logLbl, smLbl, cmp, clr, this.overlayLabel);

    const samples = el('section', 'samples');
    samples.append(el('h2', undefined, 'RL samples'));
    const st = el('table');
    const sh = el('thead');
    const shr = el('tr');
    for (const h of ['stage', 'step', 'prompt', 'completion', 'rewards']) shr.append(el('th', undefined, h));
    sh.append(shr);
    st.append(sh, this.samplesBody);
    samples.append(st);

    const evals = el('section', 'evals');
    evals.append(el('h2', undefined, 'Evaluations'));
    const et = el('table');
    et.append(this.evalHead, this.evalBody);
    evals.append(et);

    this.root.append(this.header, bar, this.timeline, this.warningsEl, this.chartsEl, evals, samples);
  }

  private setOption(o: Partial<ViewOptions>): void {
    this.opts = { ...this.opts, ...o };
    this.persist();
    this.invalidate(true);
  }

  private persist(): void {
    const prev = this.host.getState();
    if (!prev?.runId && !this.model.run) return;
    this.host.setState({
      ...prev,
      runId: this.model.run?.id ?? prev!.runId,
      runDir: this.model.run?.dir ?? prev?.runDir,
      xAxis: this.opts.xAxis,
      logScale: this.opts.logScale,
      smoothing: this.opts.smoothing,
    });
  }

  handle(msg: HostMessage): void {
    switch (msg.type) {
      case 'reset':
        this.model.clear();
        this.model.apply(msg.delta);
        this.persist();
        break;
      case 'delta':
        this.model.apply(msg.delta);
        break;
      case 'overlay':
        this.overlay.clear();
        if (msg.delta) this.overlay.apply(msg.delta);
        break;
      case 'settings':
        return;
    }
    this.invalidate(false);
  }

  private forceCharts = false;
  private invalidate(all: boolean): void {
    if (all) this.forceCharts = true;
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => this.render());
  }

  /** Synchronous render, used by the benchmark to time a full draw. */
  render(): number {
    const t0 = performance.now();
    this.dirty = false;
    const force = this.forceCharts;
    this.forceCharts = false;
    this.renderHeader();
    this.renderTimeline();
    if (force || this.model.version !== this.renderedVersion || this.overlay.version !== this.renderedOverlay) {
      this.renderCharts();
      this.renderTables();
      this.renderedVersion = this.model.version;
      this.renderedOverlay = this.overlay.version;
    }
    const ms = performance.now() - t0;
    document.body.dataset.renderMs = ms.toFixed(2);
    this.onRendered?.(ms);
    return ms;
  }

  private renderHeader(): void {
    const run = this.model.run;
    if (!run) return;
    this.titleEl.textContent = `${run.pipeline} — ${run.id}`;
    this.statusEl.textContent = run.status;
    this.statusEl.className = `run-status status-${run.status}`;
    document.body.dataset.runStatus = run.status;
    const o = this.overlay.run;
    this.overlayLabel.textContent = o ? `compared with ${o.id} (dashed)` : '';
  }

  private renderTimeline(): void {
    this.timeline.replaceChildren();
    const now = Date.now() / 1000;
    for (const s of this.model.stages) {
      const row = el('div', `stage status-${s.status}`);
      row.dataset.stage = s.name;
      row.title = `Reveal stage ${s.name} in the pipeline file`;
      row.tabIndex = 0;
      const name = el('span', 'stage-name', `${s.name}`);
      const kind = el('span', 'stage-kind', s.kind);
      const pct = s.totalSteps
        ? Math.min(1, s.step / s.totalSteps)
        : s.status === 'completed' || s.status === 'cached'
          ? 1
          : 0;
      const bar = el('progress');
      bar.max = 1;
      bar.value = pct;
      const steps = el('span', 'stage-steps', s.totalSteps ? `${s.step}/${s.totalSteps}` : s.step ? `${s.step}` : '');
      const dur = s.startedAt ? (s.finishedAt ?? now) - s.startedAt : undefined;
      const eta = s.status === 'running' && s.etaSeconds !== undefined ? `ETA ${formatElapsed(s.etaSeconds)}` : '';
      const info = el('span', 'stage-time', [formatElapsed(dur), eta].filter(Boolean).join(' · '));
      const status = el('span', 'stage-status', s.status);
      row.append(name, kind, bar, steps, status, info);
      const reveal = (): void => this.host.postMessage({ type: 'revealStage', stage: s.name });
      row.addEventListener('click', reveal);
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') reveal();
      });
      this.timeline.append(row);
    }
  }

  private stageKind(stage: string): string {
    return (
      this.model.stages.find((s) => s.name === stage)?.kind ??
      this.overlay.stages.find((s) => s.name === stage)?.kind ??
      'other'
    );
  }

  private renderCharts(): void {
    const stageOrder = [...this.model.stages.map((s) => s.name)];
    for (const k of [...this.model.series.keys(), ...this.overlay.series.keys()])
      if (!stageOrder.includes(k)) stageOrder.push(k);
    const wanted = new Set<string>();
    for (const stage of stageOrder) {
      const mine = this.model.series.get(stage) ?? new Map();
      const theirs = this.overlay.series.get(stage) ?? new Map();
      const names = new Set([...mine.keys(), ...theirs.keys()].filter((n) => !HIDDEN_METRICS.has(n)));
      if (names.size === 0) continue;
      const kind = this.stageKind(stage);
      let section = this.sections.get(stage);
      if (!section) {
        section = el('section', 'stage-charts');
        section.dataset.stage = stage;
        section.append(el('h2', undefined, `${stage} · ${kind}`));
        section.append(el('div', 'chart-grid'));
        this.sections.set(stage, section);
      }
      this.chartsEl.append(section);
      const grid = section.querySelector('.chart-grid') as HTMLElement;
      const families = orderFamilies([...names].map(metricFamily), METRIC_GROUPS[kind] ?? []);
      for (const fam of families) {
        const key = `${stage}\u0000${fam}`;
        wanted.add(key);
        let chart = this.charts.get(key);
        if (!chart) {
          chart = new MetricChart(fam, this.theme);
          chart.root.dataset.stage = stage;
          this.charts.set(key, chart);
        }
        grid.append(chart.root);
        const lines: ChartLine[] = [];
        let ci = 0;
        const members = [...names]
          .filter((n) => metricFamily(n) === fam)
          .sort((a, b) => compareMetrics(a.slice(a.lastIndexOf('/') + 1), b.slice(b.lastIndexOf('/') + 1)));
        for (const n of members) {
          const color = this.palette[ci++ % this.palette.length];
          const sparse = n.startsWith('eval/');
          const label = n.startsWith('eval/')
            ? n.slice(n.lastIndexOf('/') + 1)
            : n === fam || !n.startsWith(`${fam}/`)
              ? n
              : n.slice(fam.length + 1);
          const a = mine.get(n);
          if (a) lines.push({ label, buf: a, color, sparse });
          const b = theirs.get(n);
          if (b)
            lines.push({ label: `${label} (${this.overlay.run?.id ?? 'other'})`, buf: b, color, dashed: true, sparse });
        }
        chart.setLines(lines);
        chart.redraw(this.opts);
      }
    }
    for (const [key, chart] of this.charts) {
      if (!wanted.has(key)) {
        chart.destroy();
        this.charts.delete(key);
      }
    }
  }

  private renderTables(): void {
    // Newest first; a warning is worth reading before the charts (e.g. an RL stage that learns nothing).
    this.warningsEl.replaceChildren(
      ...this.model.warnings
        .slice()
        .reverse()
        .map((w) => {
          const li = el('li', 'warning');
          if (w.code) li.dataset.code = w.code;
          const where = w.stage ? `${w.stage}${w.step !== undefined ? ` step ${w.step}` : ''}: ` : '';
          li.append(el('span', 'warning-message', `⚠ ${where}${w.message}`));
          if (w.hint) li.append(el('div', 'warning-hint', w.hint));
          return li;
        }),
    );
    const rows = this.model.samples.slice(-50).reverse();
    this.samplesBody.replaceChildren(
      ...rows.map((r) => {
        const tr = el('tr');
        const rewards = Object.entries(r.rewards)
          .map(([k, v]) => `${k}=${Number.isFinite(v) ? v.toFixed(3) : String(v)}`)
          .join(' ');
        for (const v of [r.stage, String(r.step)]) tr.append(el('td', undefined, v));
        tr.append(el('td', 'text', r.prompt), el('td', 'text', r.completion), el('td', undefined, rewards));
        return tr;
      }),
    );
    // Every metric of every eval: the scores first (accuracy, avg@K, pass@K, maj@K), then lengths and timings.
    const keys = [...new Set(this.model.evals.flatMap((e) => Object.keys(e.metrics)))].sort(compareMetrics);
    const sampled = this.model.evals.some((e) => e.sampling);
    const hr = el('tr');
    for (const h of ['stage', 'step', ...keys, ...(sampled ? ['sampling'] : [])]) hr.append(el('th', undefined, h));
    this.evalHead.replaceChildren(hr);
    this.evalBody.replaceChildren(
      ...this.model.evals.map((e) => {
        const tr = el('tr');
        tr.append(
          el('td', undefined, e.name ? `${e.stage} (${e.name})` : e.stage),
          el('td', undefined, String(e.step)),
        );
        for (const k of keys) {
          const v = e.metrics[k];
          tr.append(el('td', 'num', v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toFixed(4)));
        }
        if (sampled) tr.append(el('td', undefined, e.sampling ? describeSampling(e.sampling) : ''));
        return tr;
      }),
    );
  }

  chartStats(): { charts: number; maxRedrawMs: number; points: number } {
    let max = 0;
    for (const c of this.charts.values()) max = Math.max(max, c.lastRedrawMs);
    return { charts: this.charts.size, maxRedrawMs: max, points: this.model.totalPoints() };
  }

  /** Redraws every chart once and returns the slowest single-chart redraw (ms). */
  redrawAll(): number {
    let max = 0;
    for (const c of this.charts.values()) {
      c.redraw(this.opts);
      max = Math.max(max, c.lastRedrawMs);
    }
    return max;
  }

  stages(): readonly StageInfo[] {
    return this.model.stages;
  }
}
