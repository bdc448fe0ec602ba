#!/usr/bin/env bash
# Runs docs/lsp.md's Neovim snippet in a headless `nvim` (any version on PATH; Debian 12 ships 0.7.2) against
# this checkout's dist/server.js: the server attaches, diagnostics and a code lens arrive, and the run lens starts
# `srlm run FILE` (a stub here) with a file whose path has a space. Not part of scripts/test.sh: CI has no nvim.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v nvim >/dev/null || { echo "nvim is not installed" >&2; exit 2; }
[ -f "$root/dist/server.js" ] || { echo "build first: npm run build" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/ws/my dir"
printf '#!/bin/sh\nexec node %q "$@"\n' "$root/dist/server.js" > "$tmp/bin/srlm-language-server"
printf '#!/bin/sh\nprintf "%%s|" "$@" > %q\n' "$tmp/srlm-called" > "$tmp/bin/srlm"
chmod +x "$tmp/bin/"*
awk '/^### Neovim/{on=1} on&&/^```lua/{grab=1;next} grab&&/^```/{exit} grab' "$root/docs/lsp.md" > "$tmp/init.lua"
printf 'pipeline p {\n  seed = "x"\n  dataset d { builtin = arithmetic }\n}\n' > "$tmp/ws/my dir/p.srlm"
cat > "$tmp/check.lua" <<LUA
vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 and #vim.lsp.codelens.get(0) > 0 end, 100)
print('diagnostics ' .. #vim.diagnostic.get(0) .. ', lenses ' .. #vim.lsp.codelens.get(0))
local lens = vim.lsp.codelens.get(0)[1]
if lens then vim.lsp.commands[lens.command.command](lens.command) end
vim.wait(5000, function() return vim.fn.filereadable('$tmp/srlm-called') == 1 end, 100)
vim.cmd('qa!')
LUA
cd "$tmp/ws"
PATH="$tmp/bin:$PATH" timeout 60 nvim --headless -u "$tmp/init.lua" "my dir/p.srlm" -c "luafile $tmp/check.lua" 2>&1 | tr '\r' '\n' | grep -v '^$' || true
called=$(cat "$tmp/srlm-called" 2>/dev/null || true)
expected="run|$tmp/ws/my dir/p.srlm|"
if [ "$called" != "$expected" ]; then
  echo "FAIL: srlm was called with '$called', expected '$expected'" >&2
  exit 1
fi
echo "ok: $(nvim --version | head -1): diagnostics, code lens, and srlm run in a terminal"
