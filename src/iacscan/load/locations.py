"""Where report paths live, for SARIF: the repository root and the entry files of CDK apps.

Code scanning resolves result URIs against the repository root, whatever folder the scan ran
in, so the command line asks git for the top level. A CDK app's resources come from a
synthesized template (a cache folder or ``cdk.out``) that is not the user's source: until
construct paths are mapped to source lines, results point at the app's entry file, the file
that cdk.json's ``app`` command runs (``app.py``, ``bin/app.ts``...).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

SOURCE_SUFFIXES = (".py", ".ts", ".js", ".mjs", ".cjs", ".java", ".go", ".cs", ".fs", ".kt")


def git_toplevel(start: Path) -> Path | None:
    """The repository root that holds ``start`` (a file or folder), or None."""
    folder = start if start.is_dir() else start.parent
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    top = proc.stdout.strip()
    return Path(top) if proc.returncode == 0 and top else None


def cdk_entry_file(app_dir: Path) -> Path | None:
    """The source file that cdk.json's ``app`` command runs, when one is named and exists."""
    try:
        data = json.loads((app_dir / "cdk.json").read_text("utf-8"))
        command = data.get("app") if isinstance(data, dict) else None
        tokens = shlex.split(command) if isinstance(command, str) else []
    except (OSError, ValueError):
        return None
    for token in tokens:
        if token.endswith(SOURCE_SUFFIXES) and (app_dir / token).is_file():
            return app_dir / token
    return None
