// Elapsed times and ETAs as people read them, one style everywhere a run is shown (the CLI's progress line and
// tables, the Runs view, the status bar, the dashboard): 45s, 1m 15s, 2h 05m. Plain data, so the webviews bundle
// it too. Estimates before a run ("about 5 min") are rounded on purpose and live with the estimator.

/** 45 → "45s", 75 → "1m 15s", 7500 → "2h 05m"; `missing` for an unknown or negative time. */
export function formatElapsed(seconds: number | undefined, missing = ''): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return missing;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
