// Which VSIX carries which onnxruntime-node binaries, and what a build without them says. One table for the
// packaging script (scripts/package-vsix.ts) and for the run-time message, so the two cannot disagree.

/** The packages built for the marketplace: a VS Code target (`vsce --target`) or `universal`. */
export type VsixTarget = 'linux-x64' | 'linux-arm64' | 'darwin-x64' | 'darwin-arm64' | 'win32-x64' | 'universal';

/**
 * The onnxruntime-node binary folder (`bin/napi-v6/<os>/<arch>`) each package carries. darwin-x64 has none:
 * onnxruntime-node ships no Intel macOS build since 1.24 (microsoft/onnxruntime#27961), so that package has
 * everything but in-editor generation, as the universal one.
 */
export const VSIX_TARGETS: Readonly<Record<VsixTarget, string | undefined>> = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-x64': undefined,
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  universal: undefined,
};

/** The targets whose package can generate in the editor. */
export function generationTargets(): VsixTarget[] {
  return (Object.keys(VSIX_TARGETS) as VsixTarget[]).filter((t) => VSIX_TARGETS[t] !== undefined);
}

/**
 * The one message for "onnxruntime-node could not be loaded here", for the inspector and `srlm generate`.
 * `cause` is the loader's own error, kept at the end for a bug report.
 */
export function ortUnavailableMessage(platform: string, arch: string, cause?: string): string {
  const here = `${platform}-${arch}`;
  const packaged = VSIX_TARGETS[here as VsixTarget] !== undefined;
  const why = packaged
    ? `Install the ${here} package of SRLM Studio (the universal package leaves ONNX Runtime out).`
    : here === 'darwin-x64'
      ? 'ONNX Runtime publishes no build for macOS on Intel (since 1.24).'
      : `ONNX Runtime packages exist for ${generationTargets().join(', ')}.`;
  const tail = cause ? ` (${cause.split('\n')[0]})` : '';
  return (
    `In-editor generation is not available in this build of SRLM Studio: it carries no ONNX Runtime for ${here}. ` +
    `${why} Checking, training, the dashboard and Python-side evaluation work without it.${tail}`
  );
}
