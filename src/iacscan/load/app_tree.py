"""The processes and files a CDK app leaves: what it writes is measured as it runs and capped
(``IACSCAN_MAX_ASSEMBLY_MB``), and without a sandbox its orphans (a ``setsid`` child that
outlives it) are adopted and killed."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from iacscan.errors import LimitError

# What the app may write (the assembly plus its HOME and temporary files), in MB: bigger is
# hostile or broken. Each file is also capped at this size by RLIMIT_FSIZE.
ASSEMBLY_CAP_VAR = "IACSCAN_MAX_ASSEMBLY_MB"
ASSEMBLY_CAP_MB = 512
ASSEMBLY_MAX_FILES = 50_000


def tree_size(folders: Sequence[Path], *, max_bytes: int, max_files: int) -> tuple[int, int]:
    """(bytes on disk, entries) under ``folders``, symlinks not followed; stops counting past
    ``max_bytes`` or ``max_files``, so a hostile tree costs little to measure."""
    total = files = 0
    stack = [str(f) for f in folders]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            total += entry.stat(follow_symlinks=False).st_blocks * 512
                    except OSError:
                        continue
                    files += 1
                    if total > max_bytes or files > max_files:
                        return total, files
        except OSError:
            continue
    return total, files


TREE_MARK = "IACSCAN_SYNTH_RUN"  # set in the app's environment, inherited by what it starts
_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux): a ``setsid`` child of
    the app that outlives it becomes our child, where ``kill_marked`` finds it."""
    if sys.platform != "linux":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def kill_marked(mark: str, rounds: int = 20) -> int:
    """Kill and reap our children whose environment carries ``TREE_MARK=mark`` (the app's
    orphans, adopted by ``adopt_orphans``), and theirs as they are adopted in turn."""
    if sys.platform != "linux":
        return 0
    import signal

    needle = f"{TREE_MARK}={mark}".encode()
    me = str(os.getpid())
    killed = 0
    for _ in range(rounds):
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat_line = (entry / "stat").read_text()
                ppid = stat_line.rsplit(")", 1)[1].split()[1]
                if ppid != me or needle not in (entry / "environ").read_bytes():
                    continue
            except (OSError, IndexError):
                continue
            found.append(int(entry.name))
        if not found:
            break
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            killed += 1
    return killed


def assembly_cap() -> int:
    """The assembly size limit in bytes: IACSCAN_MAX_ASSEMBLY_MB, else ASSEMBLY_CAP_MB."""
    raw = os.environ.get(ASSEMBLY_CAP_VAR, "").strip()
    megabytes = int(raw) if raw.isdigit() and int(raw) > 0 else ASSEMBLY_CAP_MB
    return megabytes * 1024 * 1024


def check_written(written: tuple[Path, ...], file: str) -> None:
    cap = assembly_cap()
    size, files = tree_size(written, max_bytes=cap, max_files=ASSEMBLY_MAX_FILES)
    if size > cap or files > ASSEMBLY_MAX_FILES:
        raise too_big(file)


def too_big(file: str) -> LimitError:
    return LimitError(
        f"the CDK app wrote more than {assembly_cap() // 2**20} MB (or a file that big, or "
        f"over {ASSEMBLY_MAX_FILES:,} files) while synthesizing: the assembly size limit; it "
        "was stopped and what it wrote removed",
        f"a cloud assembly of templates is far smaller; if this one is genuine, raise the limit "
        f"with the environment variable {ASSEMBLY_CAP_VAR}=MEGABYTES, or run `cdk synth` "
        "yourself and scan the cdk.out folder with --no-synth",
        file=file,
    )
