// The Study view's bar chart: one horizontal bar per variant for one metric (its value after the last stage),
// with a tick where the variant started (before its first stage). Static SVG: no inline styles (the page's CSP
// has no 'unsafe-inline'), colours from the theme through classes in media/study.css.
import { escapeHtml } from '../webviewPage';
import { formatMetric, type ComparisonTable } from '../../../runtime/src/study/table';

const ROW = 26;
const BAR = 16;
const LABEL_CHARS = 28;
const WIDTH = 640;

function shorten(s: string): string {
  return s.length > LABEL_CHARS ? `${s.slice(0, LABEL_CHARS - 1)}…` : s;
}

/** The SVG for `metric`; variants without a value get an empty row that says so. */
export function barChartSvg(t: ComparisonTable, metric: string): string {
  const values = t.rows.map((r) => [r.final[metric], r.initial[metric]] as const);
  const seen = values.flat().filter((v): v is number => v !== undefined);
  // Rates share one 0–1 scale, so two charts of accuracies compare by eye; anything else scales to its maximum.
  const max = seen.every((v) => v >= 0 && v <= 1) ? 1 : Math.max(...seen.map(Math.abs), 1e-9);
  const labelW = Math.min(LABEL_CHARS, Math.max(8, ...t.rows.map((r) => shorten(r.variant).length))) * 7 + 12;
  const valueW = 56;
  const plotW = WIDTH - labelW - valueW;
  const x = (v: number) => labelW + Math.max(0, Math.min(1, v / max)) * plotW;
  const height = t.rows.length * ROW + 24;
  const rows = t.rows.map((r, i) => {
    const [after, before] = values[i]!;
    const y = i * ROW + 4;
    const name = escapeHtml(r.variant);
    const parts = [
      `<text class="label" x="${labelW - 8}" y="${y + BAR - 3}" text-anchor="end">${escapeHtml(shorten(r.variant))}<title>${name}</title></text>`,
    ];
    if (after === undefined) {
      parts.push(`<text class="missing" x="${labelW + 4}" y="${y + BAR - 3}">no value</text>`);
    } else {
      const w = Math.max(1, x(after) - labelW);
      parts.push(
        `<rect class="bar" x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${BAR}"><title>${name}: ${escapeHtml(formatMetric(after))}</title></rect>`,
        `<text class="value" x="${(labelW + w + 4).toFixed(1)}" y="${y + BAR - 3}">${escapeHtml(formatMetric(after))}</text>`,
      );
    }
    if (before !== undefined) {
      const bx = x(before).toFixed(1);
      parts.push(
        `<line class="before" x1="${bx}" x2="${bx}" y1="${y - 2}" y2="${y + BAR + 2}"><title>${name} before its first stage: ${escapeHtml(formatMetric(before))}</title></line>`,
      );
    }
    return `<g class="variant" data-variant="${name}">${parts.join('')}</g>`;
  });
  const axisY = t.rows.length * ROW + 6;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const tx = (labelW + f * plotW).toFixed(1);
    return `<line class="grid" x1="${tx}" x2="${tx}" y1="0" y2="${axisY}"></line><text class="tick" x="${tx}" y="${axisY + 14}" text-anchor="middle">${escapeHtml(formatMetric(f * max))}</text>`;
  });
  return `<svg class="bars" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(metric)} per variant">${ticks.join('')}${rows.join('')}</svg>`;
}
