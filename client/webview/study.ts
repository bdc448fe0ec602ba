// Entry of the Study view's page (bundled to dist/webview/study.js). The page is rendered by the host; this
// script switches the chart's metric, opens a run's dashboard, asks for a refresh, and keeps the view's state
// (what it shows, which metric) so VS Code's serializer can reopen it after a reload.
import type { StudyState, StudyWebviewMessage } from '../src/study/protocol';

declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
};

const vscode = acquireVsCodeApi();
const post = (m: StudyWebviewMessage) => vscode.postMessage(m);
const fromPage = JSON.parse(document.body.dataset.state ?? '{}') as StudyState;
// The page's source wins (the host may have rebuilt it); the metric chosen before a reload is kept.
const previous = vscode.getState() as StudyState | undefined;
let state: StudyState = { ...fromPage, ...(previous?.metric ? { metric: previous.metric } : {}) };

function showMetric(metric: string | undefined): void {
  const charts = [...document.querySelectorAll<HTMLElement>('figure.chart')];
  if (!charts.some((f) => f.dataset.metric === metric)) metric = charts[0]?.dataset.metric;
  for (const f of charts) f.hidden = f.dataset.metric !== metric;
  const select = document.getElementById('metric') as HTMLSelectElement | null;
  if (select && metric) select.value = metric;
  state = { ...state, ...(metric ? { metric } : {}) };
  vscode.setState(state);
}

showMetric(state.metric);
document.getElementById('metric')?.addEventListener('change', (e) => {
  const metric = (e.target as HTMLSelectElement).value;
  showMetric(metric);
  post({ type: 'metric', metric });
});
document.getElementById('refresh')?.addEventListener('click', () => post({ type: 'refresh' }));
for (const a of document.querySelectorAll<HTMLAnchorElement>('a.open-run')) {
  a.addEventListener('click', (e) => {
    e.preventDefault();
    post({ type: 'openRun', id: a.dataset.run ?? '', dir: a.dataset.dir ?? '' });
  });
}
