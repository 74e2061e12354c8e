#!/bin/sh
# Regenerate action-requirements.txt, the hashed lock the GitHub Action installs from:
# the runtime dependencies of pyproject.toml, for Python 3.11+ on every platform, with the
# sha256 of every file PyPI has for each pinned version. Needs uv (pip install uv).
set -eu
cd "$(dirname "$0")/.."
{
  echo "# The Action's pinned install: every runtime dependency of iacscan at one version, with the"
  echo "# sha256 of every file PyPI has for it (pip install --require-hashes refuses anything else)."
  echo "# Regenerate after changing [project].dependencies: make action-lock (scripts/lock_action.sh)."
  uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
    --no-header --index-url https://pypi.org/simple
} > action-requirements.txt.new
mv action-requirements.txt.new action-requirements.txt
