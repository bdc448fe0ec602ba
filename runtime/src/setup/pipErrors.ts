// pip's and venv's failures in one sentence each. pip prints pages (retries, tracebacks, resolver notes); the user
// needs the cause and the next step. Pure: tests pass pip's real output in.

export type SetupFailureKind =
  'network' | 'no-match' | 'disk' | 'permission' | 'externally-managed' | 'no-pip' | 'no-venv' | 'other';

export interface SetupFailure {
  readonly kind: SetupFailureKind;
  readonly message: string;
}

const NETWORK: readonly [RegExp, string][] = [
  [
    /Temporary failure in name resolution|Name or service not known|nodename nor servname|getaddrinfo failed/i,
    'the host name does not resolve',
  ],
  [/Connection refused/i, 'connection refused'],
  [/Network is unreachable|No route to host/i, 'the network is unreachable'],
  [/ConnectTimeoutError|Read timed out|timed out/i, 'the connection timed out'],
  [/SSLError|CERTIFICATE_VERIFY_FAILED/i, 'the TLS certificate was not accepted'],
  [/ProxyError|407 Proxy Authentication/i, 'the proxy refused the connection'],
  [/NewConnectionError|Connection aborted|RemoteDisconnected|ConnectionResetError/i, 'the connection failed'],
  [/HTTP error 40[13]|403 Client Error|401 Client Error/i, 'the index refused access (HTTP 401/403)'],
];

function lastErrorLine(output: string): string | undefined {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return [...lines].reverse().find((l) => /^ERROR:|Error:/.test(l)) ?? lines.at(-1);
}

/** The path a file-system error names (`[Errno 28] No space left on device: '/x/y'`). */
function errnoPath(output: string): string | undefined {
  return /\[Errno \d+\][^:\n]*: '([^'\n]+)'/.exec(output)?.[1];
}

/**
 * What went wrong in a failed `pip install` (or `python -m venv`), as one message. `what` names the package(s) for
 * the message ("PyTorch", "the training engine"); `index` is the index pip was told to use, when one was.
 */
export function distillPipError(output: string, what: string, index?: string): SetupFailure {
  const where = index ? `the package index ${index}` : "pip's package index";
  if (/No space left on device|\[Errno 28\]/i.test(output)) {
    const p = errnoPath(output);
    return {
      kind: 'disk',
      message: `installing ${what} failed: the disk is full${p ? ` (writing ${p})` : ''}. Free some space (PyTorch needs several GB) and run the set-up again.`,
    };
  }
  if (/Disk quota exceeded|\[Errno 122\]/i.test(output))
    return {
      kind: 'disk',
      message: `installing ${what} failed: disk quota exceeded. Free some space and run the set-up again.`,
    };
  if (/externally-managed-environment/i.test(output))
    return {
      kind: 'externally-managed',
      message: `installing ${what} failed: this Python is managed by the system (PEP 668) and pip may not install into it. Let SRLM create its own environment instead.`,
    };
  if (/No module named pip\b/i.test(output))
    return {
      kind: 'no-pip',
      message: `this Python has no pip (No module named pip); install pip for it, or let SRLM create its own environment.`,
    };
  if (/ensurepip is not\s+available|No module named venv|No module named ensurepip/i.test(output)) {
    const ver = /python(3\.\d+)/.exec(output)?.[1];
    return {
      kind: 'no-venv',
      message: `this Python cannot create virtual environments (its venv/ensurepip module is missing). On Debian or Ubuntu: sudo apt install python${ver ?? '3'}-venv; then run the set-up again.`,
    };
  }
  if (/Permission denied|\[Errno 13\]|Read-only file system|\[Errno 30\]/i.test(output)) {
    const p = errnoPath(output);
    return {
      kind: 'permission',
      message: `installing ${what} failed: permission denied${p ? ` writing ${p}` : ''}. Choose an environment you can write to.`,
    };
  }
  for (const [re, reason] of NETWORK) {
    if (re.test(output))
      return {
        kind: 'network',
        message: `cannot reach ${where} to install ${what} (${reason}). Check the network or proxy (pip honours HTTPS_PROXY and pip.conf), or set srlm.setup.torchIndexUrl to an index you can reach.`,
      };
  }
  const noMatch = /No matching distribution found for ([^\s]+)/.exec(output);
  if (noMatch) {
    const versions = /\(from versions: ([^)]*)\)/.exec(output)?.[1]?.trim();
    return {
      kind: 'no-match',
      message:
        versions === 'none' || !versions
          ? `${where} has no release of ${noMatch[1]} for this platform and Python (is the index reachable and right?).`
          : `${where} has no release of ${noMatch[1]} that fits (it has: ${versions.split(', ').slice(-6).join(', ')}).`,
    };
  }
  return {
    kind: 'other',
    message: `installing ${what} failed: ${lastErrorLine(output) ?? 'pip exited with an error'}`,
  };
}
