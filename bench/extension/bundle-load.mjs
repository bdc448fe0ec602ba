// Time to load (parse + evaluate) the extension's main bundle, the part of activation that bundle size and lazy
// loading decide; `vscode` is a stub, so nothing else of VS Code is measured. Each sample is a fresh process.
// Several folders are measured in alternation, so a change in machine load hits all of them alike.
// usage: node bench/extension/bundle-load.mjs DIST_FOLDER... [--runs N]
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';

const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 15;
const dists = (args.length > 0 ? args : ['dist']).map((d) => path.resolve(d));
const child = (dist) => `
const Module = require('node:module');
const stub = new Proxy(function () {}, { get: (t, k) => (k === 'then' ? undefined : stub), apply: () => stub, construct: () => stub });
const load = Module._load;
Module._load = function (req, ...rest) { return req === 'vscode' ? stub : load.call(this, req, ...rest); };
const t0 = process.hrtime.bigint();
require(${JSON.stringify(path.join(dist, 'client.js'))});
process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));
`;
const samples = dists.map(() => []);
for (let i = 0; i < runs; i++)
  dists.forEach((dist, j) => {
    const r = spawnSync(process.execPath, ['-e', child(dist)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    samples[j].push(Number(r.stdout));
  });
dists.forEach((dist, j) => {
  const ms = samples[j].sort((a, b) => a - b);
  const kib = (statSync(path.join(dist, 'client.js')).size / 1024).toFixed(0);
  console.log(
    `${dist}: client.js ${kib} KiB; load median ${ms[Math.floor(runs / 2)].toFixed(1)} ms, best ${ms[0].toFixed(1)} ms (${runs} runs)`,
  );
});
