"""The pieces of a sandbox: the set-up script ``unshare`` runs, the flags of ``unshare`` and
``bwrap``, what is hidden, and the limits every app process gets (``load/sandbox.py`` puts them
together)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Files and folders under the real HOME that hold credentials: hidden inside the sandbox.
SECRET_PATHS = (
    ".aws",
    ".ssh",
    ".gnupg",
    ".docker",
    ".kube",
    ".azure",
    ".config/gcloud",
    ".config/gh",
    ".git-credentials",
    ".netrc",
    ".npmrc",
    ".pypirc",
)

SETUP_FAILED = 121  # the set-up script's exit code when it cannot build the sandbox

# Runs as the first process of the new namespaces. Arguments: the status fd (inherited, closed
# before the app starts, so the app cannot forge the report), the jsii package cache to put under
# a throw-away overlay (or "-"), the writable folders, "--", the files and folders to mask, "--",
# the app's cwd, then the app's argv.
UNSHARE_SETUP = r"""
status=$1; overlay=$2; shift 2
ro=read-only
while read -r _ _ _ _ mp _; do
  mp=$(printf '%b' "$mp")
  case "$mp" in /proc|/proc/*) continue ;; esac
  mount -o remount,bind,ro "$mp" 2>/dev/null || ro=partly-read-only
done < /proc/self/mountinfo
while [ "$1" != "--" ]; do
  mount --bind "$1" "$1" && mount -o remount,bind,rw "$1" || { echo "cannot bind $1" >&2; exit 121; }
  shift
done
shift
if [ "$overlay" != "-" ]; then
  mkdir -p "$HOME/.overlay/up" "$HOME/.overlay/work" &&
  mount -t overlay overlay -o "lowerdir=$overlay,upperdir=$HOME/.overlay/up,workdir=$HOME/.overlay/work" "$overlay" 2>/dev/null ||
  unset JSII_RUNTIME_PACKAGE_CACHE_ROOT
fi
masked=0
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mount -t tmpfs -o ro,size=4k,mode=0555 tmpfs "$1" 2>/dev/null && masked=$((masked+1));
  elif [ -e "$1" ]; then mount --bind /dev/null "$1" 2>/dev/null && masked=$((masked+1)); fi
  shift
done
shift
cd "$1" || exit 121
shift
case "$status" in [3-9]) printf '%s %s\n' "$ro" "$masked" >&"$status"; eval "exec $status>&-" ;; esac
exec "$@"
"""

BWRAP_BASE = ("--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/")


def unshare_flags(*, user: bool, network: bool) -> list[str]:
    flags = ["--pid", "--fork", "--mount", "--mount-proc", "--propagation", "private"]
    flags += ["--kill-child", "--ipc", "--uts"]
    if user:
        flags[:0] = ["--user", "--map-root-user"]
    if not network:
        flags.append("--net")
    return flags


def read_status(status_file: Path | None) -> tuple[str, int] | None:
    if status_file is None:
        return None
    try:
        words = status_file.read_text("utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    if len(words) != 2 or not words[1].isdigit():
        return None
    return words[0], int(words[1])


def _load_libc() -> Any:
    """libc, loaded in the parent: the child of a process with threads (a diff synthesizes
    both sides at once) must only make system calls between fork and exec, not dlopen."""
    if sys.platform != "linux":
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()


def child_limits(file_size_cap: int, no_new_privs: bool) -> None:  # pragma: no cover
    """Runs between fork and exec: rlimits and prctl calls only, nothing imported or loaded."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_cap, file_size_cap))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if _LIBC is not None:
        # The sandbox dies with iacscan, even when iacscan is killed.
        with contextlib.suppress(OSError, AttributeError):
            _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if no_new_privs:
                _LIBC.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS


def low_fd(fd: int) -> int:
    """``fd`` moved to a free descriptor from 3 to 9 (a POSIX shell redirects only those)."""
    if fd < 10:
        return fd
    for low in range(3, 10):
        try:
            os.fstat(low)
        except OSError:
            os.dup2(fd, low, inheritable=False)
            os.close(fd)
            return low
    return fd  # the set-up cannot report: the note says the file-system state is unknown


def distinct(folders: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        real = folder.resolve()
        if real not in out:
            out.append(real)
    return out


def holds(path: Path, folders: Sequence[Path]) -> bool:
    """True when ``path`` is one of ``folders`` or holds one: masking it would hide it."""
    real = path.resolve()
    return any(f.is_relative_to(real) for f in folders)


def git_config(cwd: Path) -> Path | None:
    for folder in (cwd.resolve(), *cwd.resolve().parents):
        config = folder / ".git" / "config"
        if config.is_file():
            return config
        if (folder / ".git").exists():
            return None
    return None
