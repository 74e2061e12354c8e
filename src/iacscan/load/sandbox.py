"""Contain a CDK app while it synthesizes: it is the pull request's code.

Decided at run time, in this order:

- ``bwrap`` (bubblewrap) when it is on PATH and works: new user, PID, IPC, UTS and (unless AWS
  access was asked for) network namespaces, the whole file system read-only, the app folder, the
  output folder and a fresh HOME the only writable places, the app dies with iacscan;
- ``unshare`` (util-linux) with a new user (when it can), PID, mount and network namespace: a
  shell run as the namespace's first process remounts every mount read-only, binds the writable
  folders back read-write, masks well-known secret files, then runs the app;
- none: the app runs as a plain child process (``--sandbox off``, or ``auto`` on a host with no
  namespaces, with a warning; ``require`` refuses).

In every case the environment is scrubbed (no ``GITHUB_*``/``RUNNER_*``/``ACTIONS_*`` variables,
nothing named like a token or secret) and each file the app writes is capped in size
(``RLIMIT_FSIZE``). A PID namespace kills every process the app started when its first process
ends, ``setsid`` or not; ``Sandbox.protections`` says what was in force, for the report.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from iacscan.errors import SynthError
from iacscan.load.sandbox_setup import (
    BWRAP_BASE,
    SECRET_PATHS,
    UNSHARE_SETUP,
    child_limits,
    distinct,
    git_config,
    holds,
    low_fd,
    read_status,
    unshare_flags,
)

SandboxMode = Literal["auto", "require", "off"]
Method = Literal["bwrap", "unshare", "none"]
SANDBOX_MODES: tuple[SandboxMode, ...] = ("auto", "require", "off")

# Variables never given to the app: the runner's file-command paths (GITHUB_ENV, GITHUB_OUTPUT,
# GITHUB_PATH, GITHUB_STEP_SUMMARY, ...), its tokens and anything named like a secret.
SCRUBBED_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "IACSCAN_", "GH_", "CI_JOB_")
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY|API_KEY", re.I)
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Sandbox:
    """How the app runs: the method and a sentence per protection in force."""

    method: Method
    user_namespace: bool = False
    overlays: bool = False  # bwrap 0.8+: --overlay-src/--tmp-overlay
    warning: str = ""  # set when auto found no sandbox

    @property
    def active(self) -> bool:
        return self.method != "none"


@dataclass(frozen=True, slots=True)
class Launch:
    """The command line to start, and where the set-up reports what it did (unshare only)."""

    argv: list[str]
    env: dict[str, str]
    preexec: Callable[[], None]
    status_file: Path | None = None  # outside every folder the app may write
    pass_fds: tuple[int, ...] = ()  # close them once the process has started

    def started(self) -> None:
        for fd in self.pass_fds:
            with contextlib.suppress(OSError):
                os.close(fd)


def choose(mode: SandboxMode, *, file: str = "") -> Sandbox:
    """The sandbox ``mode`` asks for on this host; SynthError when ``require`` cannot be met."""
    if mode == "off":
        return Sandbox("none")
    found = _probe()
    if found.active:
        return found
    why = (
        "no sandbox is available on this host (neither bubblewrap nor unshare with PID and "
        "mount namespaces works)"
    )
    if mode == "require":
        raise SynthError(
            f"--sandbox require: {why}, so iacscan will not run the CDK app",
            "install bubblewrap (`apt-get install bubblewrap`) or allow unprivileged user "
            "namespaces, scan with --no-synth, or pass --sandbox off on a machine you trust",
            file=file,
        )
    return Sandbox("none", warning=f"{why}: the CDK app ran unconfined")


@functools.cache
def _probe() -> Sandbox:
    if sys.platform != "linux":
        return Sandbox("none")
    bwrap = shutil.which("bwrap")
    if bwrap and _works([bwrap, *BWRAP_BASE, "--", "/bin/true"]):
        overlays = _works(
            [bwrap, *BWRAP_BASE, "--overlay-src", "/", "--tmp-overlay", "/tmp", "/bin/true"]
        )
        return Sandbox("bwrap", user_namespace=True, overlays=overlays)
    unshare = shutil.which("unshare")
    if unshare:
        for user in (True, False):
            if not user and os.geteuid() != 0:
                break
            probe = [unshare, *unshare_flags(user=user, network=False), "/bin/sh", "-c", "true"]
            if _works(probe):
                return Sandbox("unshare", user_namespace=user)
    return Sandbox("none")


def _works(argv: list[str]) -> bool:
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def scrubbed_environment(env: Mapping[str, str], *, keep: Sequence[str] = ()) -> dict[str, str]:
    """``env`` without the runner's variables and anything named like a secret."""
    out: dict[str, str] = {}
    for name, value in env.items():
        if name in keep:
            out[name] = value
        elif name.upper().startswith(SCRUBBED_PREFIXES) or _SECRET_NAME.search(name):
            continue
        else:
            out[name] = value
    return out


def launch(
    sandbox: Sandbox,
    argv: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    writable: Sequence[Path],
    home: Path,
    status_file: Path,
    network: bool,
    file_size_cap: int,
) -> Launch:
    """The command and environment that run ``argv`` inside ``sandbox``."""
    env = dict(env)
    cwd = cwd.resolve()
    # No new privileges (no sudo, no setuid binary) for the app and all it starts; bubblewrap,
    # which may itself be setuid on old systems, sets it for the app on its own.
    preexec = functools.partial(child_limits, file_size_cap, sandbox.method != "bwrap")
    if not sandbox.active:
        return Launch(argv, env, preexec)
    real_home = Path(env.get("HOME") or os.path.expanduser("~"))
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    # Dependencies installed under the real HOME stay visible (read-only) to the app.
    user_base = real_home / ".local"
    if "PYTHONUSERBASE" not in env and user_base.is_dir():
        env["PYTHONUSERBASE"] = str(user_base)  # `pip install --user` packages
    go_mods = Path(env.get("GOPATH") or real_home / "go") / "pkg" / "mod"
    if "GOMODCACHE" not in env and go_mods.is_dir():
        env["GOMODCACHE"] = str(go_mods)
    env.update(HOME=str(home), TMPDIR=str(tmp), XDG_CACHE_HOME=str(home / ".cache"))
    folders = distinct([home, *writable])
    masks = [str(real_home / p) for p in SECRET_PATHS if not holds(real_home / p, folders)]
    checkout = git_config(cwd)
    if checkout is not None and not holds(checkout, folders):
        masks.append(str(checkout))  # actions/checkout keeps the job token there
    jsii_cache = real_home / ".cache" / "aws" / "jsii" / "package-cache"
    overlay = "-"
    if (
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT" not in env
        and jsii_cache.is_dir()
        and (sandbox.method == "unshare" or sandbox.overlays)
    ):
        # The user's unpacked jsii packages under a throw-away overlay: aws-cdk-lib is not
        # unpacked again at every run, and what one app writes there no later run sees.
        overlay = str(jsii_cache.resolve())
        env["JSII_RUNTIME_PACKAGE_CACHE_ROOT"] = overlay
    if sandbox.method == "bwrap":
        bwrap = shutil.which("bwrap") or "bwrap"
        cmd = [bwrap, *BWRAP_BASE]
        if overlay != "-":
            cmd += ["--overlay-src", overlay, "--tmp-overlay", overlay]
        if network:
            cmd.append("--share-net")
        cmd += ["--dev", "/dev", "--proc", "/proc"]
        for folder in folders:
            cmd += ["--bind", str(folder), str(folder)]
        for mask in masks:
            if os.path.isdir(mask):
                cmd += ["--tmpfs", mask]
            elif os.path.exists(mask):
                cmd += ["--ro-bind", "/dev/null", mask]
        cmd += ["--chdir", str(cwd), "--", *argv]
        return Launch(cmd, env, preexec)
    fd = low_fd(os.open(status_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    unshare = shutil.which("unshare") or "unshare"
    cmd = [
        unshare,
        *unshare_flags(user=sandbox.user_namespace, network=network),
        "/bin/sh",
        "-c",
        UNSHARE_SETUP,
        "iacscan-sandbox",
        str(fd),
        overlay,
        *(str(f) for f in folders),
        "--",
        *masks,
        "--",
        str(cwd),
        *argv,
    ]
    return Launch(cmd, env, preexec, status_file, (fd,))


def protections(sandbox: Sandbox, status_file: Path | None, *, network: bool) -> str:
    """One sentence for the report: what contained the app in this run."""
    if not sandbox.active:
        base = "The CDK app ran without a sandbox"
        return f"{base} ({sandbox.warning})" if sandbox.warning else f"{base} (--sandbox off)"
    parts = ["its own PID namespace (no other process visible; all its processes end with it)"]
    if sandbox.user_namespace:
        parts.append("a user namespace")
    parts.append("no network" if not network else "the network (--synth-env-passthrough)")
    parts.append("a scrubbed environment and its own HOME")
    if sandbox.method == "bwrap":
        parts.append("a read-only file system but for the app and output folders")
    else:
        state = read_status(status_file)
        if state is None:
            parts.append("an unknown file-system state (the sandbox set-up did not report)")
        else:
            ro, masked = state
            parts.append(f"a {ro} file system but for the app and output folders")
            if masked:
                parts.append(f"{masked} credential file(s) hidden")
    return f"The CDK app ran in a sandbox ({sandbox.method}): " + ", ".join(parts)
