// Entry of the dashboard webview (bundled to dist/webview/dashboard.js). Wires the VS Code webview API to the
// Dashboard view and tells the host it is ready, so the host replays the run's history into it.
import 'uplot/dist/uPlot.min.css';
import { Dashboard, type HostApi } from './dashboard/view';
import type { DashboardState, HostMessage, WebviewMessage } from './dashboard/protocol';

declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
};

const vscode = acquireVsCodeApi();
const host: HostApi = {
  postMessage: (m: WebviewMessage) => vscode.postMessage(m),
  getState: () => vscode.getState() as DashboardState | undefined,
  setState: (s: DashboardState) => vscode.setState(s),
};
const root = document.getElementById('app') ?? document.body;
const dashboard = new Dashboard(root, host);
(window as unknown as { srlmDashboard: Dashboard }).srlmDashboard = dashboard;
window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  if (e.data && typeof e.data === 'object' && 'type' in e.data) dashboard.handle(e.data);
});
host.postMessage({ type: 'ready' });
