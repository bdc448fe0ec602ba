// Eval metric names as every view shows them: which are scores (accuracy, avg@K, pass@K, maj@K) rather than
// timings and lengths, their order (accuracy, then the sampled ones by kind and K), and short labels. Shared by
// the CLI, the run index, the Runs view and the dashboard, so each lists the same metrics the same way.

const SCORE = /^(accuracy|avg@(\d+)|pass@(\d+)|maj@(\d+))$/;
const KIND_ORDER = ['accuracy', 'avg', 'pass', 'maj'];

/** True for the metrics that measure answers (accuracy, avg@K, pass@K, maj@K). */
export function isScoreMetric(name: string): boolean {
  return SCORE.test(name);
}

function rank(name: string): [number, number] {
  const m = SCORE.exec(name);
  if (!m) return [KIND_ORDER.length, 0];
  const kind = name.split('@')[0]!;
  return [KIND_ORDER.indexOf(kind), Number(m[2] ?? m[3] ?? m[4] ?? 0)];
}

/** Score metrics first (accuracy, avg@K, pass@K, maj@K; K ascending), then the rest by name. */
export function compareMetrics(a: string, b: string): number {
  const [ka, na] = rank(a);
  const [kb, nb] = rank(b);
  return ka - kb || na - nb || a.localeCompare(b);
}

/** The score metrics of one eval's results, in display order, with numeric values only. */
export function scoreEntries(metrics: Readonly<Record<string, number | null | undefined>>): [string, number][] {
  return Object.entries(metrics)
    .filter((e): e is [string, number] => isScoreMetric(e[0]) && typeof e[1] === 'number')
    .sort((x, y) => compareMetrics(x[0], y[0]));
}

/** `accuracy` → `acc`; sampled metrics keep their names (they are short and are what papers print). */
export function shortMetric(name: string): string {
  return name === 'accuracy' ? 'acc' : name;
}

/** How an eval drew its sampled metrics (the `sampling` field of an `eval` event). */
export interface EvalSampling {
  readonly temperature: number;
  readonly topP: number;
  readonly samplesPerPrompt: number;
}

/** Reads an eval event's `sampling` field; undefined when absent or malformed. */
export function parseSampling(v: unknown): EvalSampling | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const { temperature, top_p: topP, samples_per_prompt: samplesPerPrompt } = o;
  if (typeof temperature !== 'number' || typeof topP !== 'number' || typeof samplesPerPrompt !== 'number')
    return undefined;
  return { temperature, topP, samplesPerPrompt };
}

/** "8 samples per prompt at temperature 1, top_p 0.95". */
export function describeSampling(s: EvalSampling): string {
  return `${s.samplesPerPrompt} sample${s.samplesPerPrompt === 1 ? '' : 's'} per prompt at temperature ${s.temperature}, top_p ${s.topP}`;
}

/** One column of a table of eval results: an eval block's score metric. */
export interface EvalColumn {
  readonly eval: string | undefined;
  readonly metric: string;
  /** `accuracy` when the run has one eval block, `test/accuracy` when it has several. */
  readonly label: string;
}

/** The score-metric columns of some eval results: per eval block (in the order the blocks appear), its score
 * metrics in display order. */
export function evalColumns(
  records: readonly { readonly name: string | undefined; readonly metrics: Readonly<Record<string, unknown>> }[],
): EvalColumn[] {
  const byEval = new Map<string | undefined, Set<string>>();
  for (const r of records) {
    let keys = byEval.get(r.name);
    if (!keys) byEval.set(r.name, (keys = new Set()));
    for (const [k, v] of Object.entries(r.metrics)) if (isScoreMetric(k) && typeof v === 'number') keys.add(k);
  }
  const several = byEval.size > 1;
  return [...byEval].flatMap(([name, keys]) =>
    [...keys]
      .sort(compareMetrics)
      .map((metric) => ({ eval: name, metric, label: several ? `${name ?? 'eval'}/${metric}` : metric })),
  );
}

/** "acc 0.81 avg@8 0.62" for one eval, or "valid acc 0.81 avg@8 0.62 · test acc 0.8" for several, from
 * "<eval>/<metric>" keys (the run summary's `final`). */
export function compactEvals(byKey: Readonly<Record<string, number>>, fmt: (v: number) => string): string {
  const groups = new Map<string, [string, number][]>();
  for (const [key, v] of Object.entries(byKey)) {
    const slash = key.lastIndexOf('/');
    const name = slash >= 0 ? key.slice(0, slash) : '';
    const metric = key.slice(slash + 1);
    if (!isScoreMetric(metric)) continue;
    let g = groups.get(name);
    if (!g) groups.set(name, (g = []));
    g.push([metric, v]);
  }
  return [...groups]
    .map(([name, entries]) => {
      const text = entries
        .sort((a, b) => compareMetrics(a[0], b[0]))
        .map(([m, v]) => `${shortMetric(m)} ${fmt(v)}`)
        .join(' ');
      return groups.size > 1 && name ? `${name} ${text}` : text;
    })
    .join(' · ');
}
