"""Helpers for the untrusted-pull-request tests: a CDK-like app (a plain Python script set as
cdk.json's ``app``), and the CLI run as a subprocess under a time and memory cap."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "fixtures" / "templates" / "prime-video-before.yaml"
GOOD_NODE = "prime-video-before/MonitorStateMachine"  # the good template beside another stack
TIME_CAP_S = 120.0  # a hang: the run is killed and the test fails
ADDRESS_SPACE_CAP = 3 * 1024**3  # a runaway allocation fails instead of swapping

# Written first in every app: what a real app's synthesis leaves in CDK_OUTDIR, one stack with
# one queue per name in RESOURCES (the app's body appends names to leak what it found).
APP_PRELUDE = """\
import json, os, subprocess, sys, time
OUT = os.environ["CDK_OUTDIR"]
RESOURCES = ["AppQueue"]
def synth():
    body = {"Resources": {n: {"Type": "AWS::SQS::Queue"} for n in RESOURCES}}
    with open(os.path.join(OUT, "AppStack.template.json"), "w") as f:
        json.dump(body, f)
    manifest = {"version": "36.0.0", "artifacts": {"AppStack": {
        "type": "aws:cloudformation:stack",
        "properties": {"templateFile": "AppStack.template.json"}}}}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f)
"""


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        try:
            data = json.loads(self.stdout)
        except ValueError:
            raise AssertionError(
                f"stdout is not JSON: {self.stdout[:300]!r}; stderr: {self.stderr[-1500:]!r}"
            ) from None
        assert isinstance(data, dict)
        return data

    def nodes(self) -> set[str]:
        return {n["id"] for n in self.report["topology"]["nodes"]}

    def notes(self) -> str:
        return "\n".join(self.report.get("notes") or [])


def cdk_app(folder: Path, body: str, **cdk_json: Any) -> Path:
    """A CDK-like app: ``body`` runs after APP_PRELUDE (call ``synth()`` to write the assembly)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(APP_PRELUDE + body, "utf-8")
    config = {"app": f"{sys.executable} app.py", **cdk_json}
    (folder / "cdk.json").write_text(json.dumps(config), "utf-8")
    return folder


def _cap() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


def iacscan(
    *args: str, cwd: Path, env: dict[str, str] | None = None, cache: Path | None = None
) -> Result:
    """``iacscan ARGS`` in a fresh interpreter, time- and memory-capped, with its own cache."""
    full = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])
    )
    full["XDG_CACHE_HOME"] = str(cache or cwd / ".cache")
    proc = subprocess.run(
        [sys.executable, "-m", "iacscan", *args],
        cwd=cwd,
        env=full,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIME_CAP_S,
        preexec_fn=_cap,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def processes_with(marker: str) -> list[int]:
    """Process ids whose command line holds ``marker`` (seen from this PID namespace)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def survivors(marker: str, grace: float = 5.0) -> list[int]:
    """Processes with ``marker`` still alive once ``grace`` seconds have passed (a process being
    killed needs a moment to go); returns at once when there are none."""
    deadline = time.monotonic() + grace
    while (alive := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def kill_all(pids: list[int]) -> None:
    """Clean up after a failed test: the processes it found, by id."""
    import signal

    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
