// One uPlot chart for a metric family of one stage. The full series stay in typed arrays; each redraw smooths
// (cached per data version), decimates to the chart's pixel width for the visible x-range, and aligns the
// few thousand surviving points of each series on a shared x for uPlot.
import uPlot from 'uplot';
import { minMaxDecimate } from './decimate';
import { EmaSeries } from './smooth';
import type { SeriesBuffer } from './series';

export interface ChartLine {
  label: string;
  buf: SeriesBuffer;
  color: string;
  /** The overlaid comparison run is drawn dashed. */
  dashed?: boolean;
  /** Eval points are sparse: drawn with markers and never smoothed. */
  sparse?: boolean;
}

export interface ViewOptions {
  xAxis: 'step' | 'time';
  logScale: boolean;
  smoothing: number;
}

export interface Theme {
  foreground: string;
  grid: string;
  font: string;
}

type Aligned = [number[], ...(number | null)[][]];

export class MetricChart {
  readonly root: HTMLElement;
  private plot: uPlot | undefined;
  private lines: ChartLine[] = [];
  private xRange: [number, number] | undefined;
  private smoothCache = new Map<SeriesBuffer, EmaSeries>();
  private builtFor = '';
  /** Milliseconds the last redraw took (decimation + uPlot draw), for the benchmark and tests. */
  lastRedrawMs = 0;
  lastPointCount = 0;

  constructor(
    readonly title: string,
    private readonly theme: Theme,
    private readonly height = 180,
  ) {
    this.root = document.createElement('div');
    this.root.className = 'chart';
    this.root.dataset.metric = title;
    const h = document.createElement('div');
    h.className = 'chart-title';
    h.textContent = title.startsWith('eval/') ? `eval ${title.slice(5).replace('/', ' · ')}` : title;
    this.root.append(h);
  }

  setLines(lines: ChartLine[]): void {
    this.lines = lines;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.root.clientWidth || 400));
  }

  private build(opts: ViewOptions): void {
    const key = `${opts.logScale}|${opts.xAxis}|${this.lines.map((l) => l.label + l.dashed).join(',')}|${opts.smoothing > 0}`;
    if (this.plot && key === this.builtFor) return;
    this.plot?.destroy();
    this.builtFor = key;
    const series: uPlot.Series[] = [{ label: opts.xAxis === 'step' ? 'step' : 'time (s)' }];
    for (const l of this.lines) {
      const smoothed = opts.smoothing > 0 && !l.sparse;
      if (smoothed)
        series.push({
          label: `${l.label} (raw)`,
          stroke: l.color,
          alpha: 0.25,
          width: 1,
          dash: l.dashed ? [4, 4] : undefined,
          spanGaps: true,
          points: { show: false },
        });
      series.push({
        label: l.label,
        stroke: l.color,
        width: 1.5,
        dash: l.dashed ? [6, 4] : undefined,
        spanGaps: true,
        points: { show: l.sparse ? true : false, size: 5 },
      });
    }
    const axis = (): uPlot.Axis => ({
      stroke: this.theme.foreground,
      grid: { stroke: this.theme.grid, width: 1 },
      ticks: { stroke: this.theme.grid, width: 1 },
      font: this.theme.font,
    });
    const opts2: uPlot.Options = {
      width: this.width(),
      height: this.height,
      series,
      legend: { show: true, live: true },
      scales: { x: { time: false }, y: opts.logScale ? { distr: 3 } : { auto: true } },
      axes: [axis(), { ...axis(), size: 60, values: (_u, splits) => splits.map(formatTick) }],
      // Zoom is ours, not uPlot's: a drag selects an x-range, which we decimate for afresh. uPlot's own
      // setScale hooks also fire (deferred) for every setData, so they cannot tell a user zoom from an update.
      cursor: { drag: { x: true, y: false, setScale: false }, bind: { dblclick: () => null } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const min = u.posToVal(u.select.left, 'x');
            const max = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (!(max > min)) return;
            this.xRange = [min, max];
            this.redraw(opts);
          },
        ],
      },
    };
    this.plot = new uPlot(opts2, [[]], this.root);
    this.plot.over.addEventListener('dblclick', () => {
      this.xRange = undefined;
      this.redraw(opts, true);
    });
  }

  private smoothed(buf: SeriesBuffer, weight: number): EmaSeries {
    let e = this.smoothCache.get(buf);
    if (!e) this.smoothCache.set(buf, (e = new EmaSeries()));
    e.sync(buf, weight);
    return e;
  }

  redraw(opts: ViewOptions, resetScales = false): void {
    const t0 = performance.now();
    this.build(opts);
    const plot = this.plot!;
    const xOf = (l: ChartLine): Float64Array => (opts.xAxis === 'step' ? l.buf.step : l.buf.time);
    let lo = Infinity;
    let hi = -Infinity;
    for (const l of this.lines) {
      if (l.buf.length === 0) continue;
      const xs = xOf(l);
      lo = Math.min(lo, xs[0]);
      hi = Math.max(hi, xs[l.buf.length - 1]);
    }
    if (!Number.isFinite(lo)) {
      plot.setData([[]] as unknown as uPlot.AlignedData);
      this.lastPointCount = 0;
      return;
    }
    const [x0, x1] = this.xRange ?? [lo, hi === lo ? lo + 1 : hi];
    const px = plot.bbox.width > 0 ? plot.bbox.width / (devicePixelRatio || 1) : this.width();
    const cols: { x: Float64Array; y: Float64Array; n: number }[] = [];
    for (const l of this.lines) {
      const xs = xOf(l);
      const smoothed = opts.smoothing > 0 && !l.sparse;
      const d = minMaxDecimate(xs, l.buf.value, l.buf.length, x0, x1, px, l.buf.index());
      cols.push({ x: d.x, y: d.y, n: d.length });
      if (smoothed) {
        const e = this.smoothed(l.buf, opts.smoothing);
        const s = minMaxDecimate(xs, e.data, l.buf.length, x0, x1, px, e.index);
        cols.push({ x: s.x, y: s.y, n: s.length });
      }
    }
    const data = align(cols, opts.logScale);
    this.root.dataset.xmin = String(x0);
    this.root.dataset.xmax = String(x1);
    this.lastPointCount = data[0].length;
    this.root.dataset.points = String(this.lines.reduce((n, l) => n + l.buf.length, 0));
    if (this.xRange && !resetScales) {
      plot.batch(() => {
        plot.setData(data as unknown as uPlot.AlignedData, false);
        plot.setScale('x', { min: x0, max: x1 });
      });
    } else {
      plot.setData(data as unknown as uPlot.AlignedData, true);
    }
    this.lastRedrawMs = performance.now() - t0;
  }

  resize(): void {
    this.plot?.setSize({ width: this.width(), height: this.height });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.root.remove();
  }
}

/** Tick labels that stay distinct for small values (learning rates) and short for large ones. */
export function formatTick(v: number | null): string {
  // uPlot passes null for splits it skips (log scales).
  if (v === null || !Number.isFinite(v)) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(1).replace('e-', 'e−');
  if (a < 1) return String(Number(v.toPrecision(3)));
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Merges each series' (ascending) x into one ascending x; a series without a point at some x gets null there
 * (drawn across with spanGaps). Non-positive values become null on a log scale. */
export function align(cols: { x: Float64Array; y: Float64Array; n: number }[], log: boolean): Aligned {
  const val = (v: number): number | null => ((log && v <= 0) || !Number.isFinite(v) ? null : v);
  if (cols.length === 1) {
    const c = cols[0];
    const x = new Array<number>(c.n);
    const y = new Array<number | null>(c.n);
    for (let i = 0; i < c.n; i++) {
      x[i] = c.x[i];
      y[i] = val(c.y[i]);
    }
    return [x, y];
  }
  const idx = cols.map(() => 0);
  const xs: number[] = [];
  const ys: (number | null)[][] = cols.map(() => []);
  for (;;) {
    let next = Infinity;
    for (let k = 0; k < cols.length; k++) if (idx[k] < cols[k].n && cols[k].x[idx[k]] < next) next = cols[k].x[idx[k]];
    if (next === Infinity) break;
    xs.push(next);
    for (let k = 0; k < cols.length; k++) {
      if (idx[k] < cols[k].n && cols[k].x[idx[k]] === next) {
        ys[k].push(val(cols[k].y[idx[k]]));
        idx[k]++;
      } else ys[k].push(null);
    }
  }
  return [xs, ...ys];
}
