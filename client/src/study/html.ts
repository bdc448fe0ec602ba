// The Study view's page: the comparison table (the blocks `srlm compare` prints) and a bar chart of a chosen
// metric per variant, rendered on the host from the table. Free of the vscode module so tests can render and
// load it. Everything in the table comes from run folders (untrusted): every piece of text is escaped.
import { escapeHtml, webviewCsp, webviewPageHtml } from '../webviewPage';
import { CACHED_MARK, comparisonCells, type ComparisonTable } from '../../../runtime/src/study/table';
import { barChartSvg } from './chart';
import type { StudyState } from './protocol';

export { makeNonce } from '../webviewPage';

export interface StudyPage {
  /** webview.cspSource */
  readonly cspSource: string;
  readonly script: string;
  readonly styles: readonly string[];
  readonly nonce: string;
  readonly title: string;
  readonly table: ComparisonTable;
  /** Persisted by the page so the serializer can reopen the view. */
  readonly state: StudyState;
}

const CACHED_TITLE = 'reused from the stage cache (trained once, by an earlier run)';

function cell(text: string, cls: string[] = []): string {
  const cached = text.endsWith(CACHED_MARK) && text !== CACHED_MARK;
  const classes = [...cls, ...(cached ? ['cached'] : [])];
  return `<td${classes.length ? ` class="${classes.join(' ')}"` : ''}${cached ? ` title="${CACHED_TITLE}"` : ''}>${escapeHtml(text)}</td>`;
}

function htmlTable(
  caption: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  isNum: (col: number) => boolean,
  extra?: (row: number, col: number, text: string) => string | undefined,
): string {
  const head = header.map((h, i) => `<th${isNum(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r, ri) =>
        `<tr>${r.map((c, ci) => extra?.(ri, ci, c) ?? cell(c, isNum(ci) ? ['num'] : ci === 0 ? ['variant'] : [])).join('')}</tr>`,
    )
    .join('\n');
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function studyHtml(p: StudyPage): string {
  const t = p.table;
  const c = comparisonCells(t);
  const metric = p.state.metric && t.metrics.includes(p.state.metric) ? p.state.metric : t.metrics[0];
  const runCol = c.summary.header.length - 1;
  const statusCol = 1;
  const isSummaryNum = (col: number) => col >= 2 && col < runCol;
  const summary = htmlTable('Final metrics', c.summary.header, c.summary.rows, isSummaryNum, (ri, ci, text) => {
    if (ci === statusCol) return cell(text, ['status', `status-${text.replace(/[^a-z]/g, '')}`]);
    if (ci === runCol) {
      const row = t.rows[ri]!;
      return `<td class="run"><a href="#" class="open-run" data-run="${escapeHtml(row.run)}" data-dir="${escapeHtml(row.runDir)}" title="Open the run's dashboard">${escapeHtml(text)}</a></td>`;
    }
    if (ci === c.summary.header.length - 2) return cell(text, ['num', 'time']);
    return undefined;
  });
  const byStage = c.byStage
    .map((b) => htmlTable(`${b.metric} before and after each stage`, b.header, b.rows, (col) => col >= 1))
    .join('\n');
  const times = htmlTable('Time per stage', c.stageTime.header, c.stageTime.rows, (col) => col >= 1);
  const options = t.metrics
    .map((m) => `<option value="${escapeHtml(m)}"${m === metric ? ' selected' : ''}>${escapeHtml(m)}</option>`)
    .join('');
  const charts = t.metrics
    .map(
      (m) =>
        `<figure class="chart" data-metric="${escapeHtml(m)}"${m === metric ? '' : ' hidden'}>${barChartSvg(t, m)}<figcaption>${escapeHtml(m)} after the last stage; the tick marks the value before the first stage</figcaption></figure>`,
    )
    .join('\n');
  const chartSection =
    t.metrics.length > 0
      ? `<section class="chart-section"><div class="toolbar"><label>Metric <select id="metric">${options}</select></label><button id="refresh" class="secondary" title="Read the runs again">Refresh</button></div>\n${charts}</section>`
      : `<div class="toolbar"><button id="refresh" class="secondary" title="Read the runs again">Refresh</button></div>`;
  const notes = c.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n');
  return webviewPageHtml({
    ...p,
    bodyAttributes: `data-state="${escapeHtml(JSON.stringify({ ...p.state, ...(metric ? { metric } : {}) }))}"`,
    body: `<main id="app">
    <h1>${escapeHtml(c.title)}</h1>
    ${chartSection}
    ${summary}
    ${byStage}
    ${times}
    ${notes}
    </main>`,
  });
}

/** A page with one message and no script, for a study or runs that are gone. */
export function studyMessageHtml(cspSource: string, message: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${webviewCsp(cspSource, 'none')}"></head><body><p>${escapeHtml(message)}</p></body></html>`;
}
