"""A content-addressed cache of the SAM translator's output, so a rerun never imports it.

The key hashes everything the translation depends on: the translator's exact input (the plain
template after ``load/sam_prepare.py``, which already holds the local definition files and
includes it read, and the origin tags), the parameter values, the translator's version,
iacscan's version, a digest of ``load/sam.py`` (how the translator is called) and this cache's
format. Only the translator's output is stored; origins and
line numbers are rebuilt from the freshly decoded template on every run, exactly as after a
translation.

``<root>/<key>.json`` holds one entry. Writers write a temporary file in the same folder and
rename it into place, so a reader sees a whole entry or none, whatever runs at the same time. A
hit refreshes the entry's mtime; after a process's first write, and every ``TRIM_EVERY``
writes after it, the oldest entries are removed beyond ``MAX_ENTRIES`` or ``MAX_BYTES`` (least
recently used first; listing the folder on every write cost ~1 s of an ``--each`` corpus run). An entry that cannot be read or
does not hold what its name says is ignored (the template is translated again and the entry
rewritten). The cache never fails a scan: any error reading or writing it is a miss.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1
MAX_ENTRIES = 2_000
MAX_BYTES = 200 * 1024 * 1024
TRIM_EVERY = 64
_TMP_PREFIX = ".tmp-"
_STALE_TMP = 3600.0  # a writer's temporary file this old was left by a killed process


_WRITES = itertools.count()  # this process's writes, for trimming now and then


def default_root() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("iacscan")) / "sam"


def translator_version() -> str:
    """The installed aws-sam-translator's version (its package ``__init__`` holds only that)."""
    import samtranslator

    return str(samtranslator.__version__)


@functools.cache
def _caller_digest() -> str:
    """How iacscan runs the translator (options, plugins, placeholders) lives in load/sam.py; a
    change there between two builds of one version must not reuse the other's entries."""
    try:
        return hashlib.sha256(Path(__file__).with_name("sam.py").read_bytes()).hexdigest()[:16]
    except OSError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class SamCache:
    """Where the entries live, and the versions that are part of every key."""

    root: Path
    translator: str
    tool: str
    code: str = ""  # digest of load/sam.py, which calls the translator (a dev build's version)

    @classmethod
    def default(cls, root: Path | None = None) -> SamCache:
        from iacscan import __version__

        return cls(root or default_root(), translator_version(), __version__, _caller_digest())

    def key(self, template: Mapping[str, Any], values: Mapping[str, Any]) -> str | None:
        """The entry's key, or None when the input cannot be written as JSON (no caching)."""
        digest = hashlib.sha256()
        head = {
            "format": CACHE_FORMAT,
            "translator": self.translator,
            "iacscan": self.tool,
            "code": self.code,
        }
        try:
            for part in (head, values, template):
                digest.update(json.dumps(part, sort_keys=True, allow_nan=True).encode())
                digest.update(b"\0")
        except (TypeError, ValueError):
            return None
        return digest.hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.root / f"{key}.json"
        try:
            text = path.read_text(encoding="utf-8")
            entry = json.loads(text)
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        output = entry.get("output")
        if not isinstance(output, dict) or not isinstance(output.get("Resources"), dict):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently used goes first
        return output

    def put(self, key: str, output: Mapping[str, Any], *, from_json: bool = False) -> None:
        """Store ``output`` when JSON gives it back unchanged; never raises.

        ``from_json``: ``output`` was itself just decoded from JSON text (the translator's
        output is: ``undo_mark_unicode_str_in_template`` is a JSON round trip), so it is not
        decoded again to check that (10 ms at 500 resources)."""
        try:
            text = json.dumps({"key": key, "output": output}, allow_nan=True)
            if not from_json and json.loads(text)["output"] != output:
                return  # a value JSON does not keep (a tuple, a set): not cached
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".json", dir=self.root)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, self.root / f"{key}.json")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            if next(_WRITES) % TRIM_EVERY == 0:
                self.trim()
        except (OSError, TypeError, ValueError):
            return

    def trim(self, max_entries: int | None = None, max_bytes: int | None = None) -> None:
        """Remove the least recently used entries beyond the bounds (default: the module's)."""
        max_entries = MAX_ENTRIES if max_entries is None else max_entries
        max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        entries: list[tuple[float, int, str]] = []
        now = time.time()
        try:
            with os.scandir(self.root) as it:
                for e in it:
                    with contextlib.suppress(OSError):
                        st = e.stat()
                        if e.name.startswith(_TMP_PREFIX):
                            if now - st.st_mtime > _STALE_TMP:
                                os.unlink(e.path)
                        elif e.name.endswith(".json"):
                            entries.append((st.st_mtime, st.st_size, e.path))
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if len(entries) <= max_entries and total <= max_bytes:
            return
        entries.sort()
        count = len(entries)
        for _, size, path in entries:
            if count <= max_entries and total <= max_bytes:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
            count -= 1
            total -= size
