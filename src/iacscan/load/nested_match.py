"""Nested templates kept beside the root and referenced by a URL a deploy script fills.

Many repositories upload their nested templates before deploying and write
``TemplateURL: !Sub "${TemplatesBucketUrl}/01-vpc.yaml"`` (or an S3/HTTPS URL). When the URL's
file name is a template beside the including template, or exactly one template of that name is
in a scanned folder, that file is loaded as the nested stack, with a note saying so. Anything
else (no file of that name, several, a computed file name) stays out of scope: an unknown
``ext:`` node (topology/unseen.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SUFFIXES = (".yaml", ".yml", ".json", ".template")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._+-]+$")


def is_local(url: object) -> bool:
    """A TemplateURL that names a local file (relative path, as before ``package``)."""
    return isinstance(url, str) and "://" not in url and not url.startswith(("https:", "http:"))


def file_name(url: Any) -> str | None:
    """The template file name at the end of a remote or computed TemplateURL, when literal."""
    last: Any = None
    if isinstance(url, str):
        if url.startswith("sar://"):
            return None
        last = url.split("?", 1)[0].split("#", 1)[0]
    elif isinstance(url, Mapping) and len(url) == 1:
        fn, arg = next(iter(url.items()))
        if fn == "Fn::Sub":
            last = arg[0] if isinstance(arg, list) and arg else arg
        elif fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            delimiter, parts = arg
            if isinstance(parts, list) and parts and isinstance(delimiter, str):
                tail = parts[-1]
                last = tail if isinstance(tail, str) else None
    if not isinstance(last, str):
        return None
    name = last.rsplit("/", 1)[-1]
    if "${" in name or not _SAFE_NAME.match(name) or not name.lower().endswith(SUFFIXES):
        return None
    return name


def find(name: str, parent: Path, folders: Sequence[Path]) -> tuple[Path | None, str]:
    """(the file, where it was found) or (None, why not)."""
    beside = parent.parent / name
    if beside.is_file() and beside.resolve() != parent.resolve():
        return beside, "beside the including template"
    found: list[Path] = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
            if name in files:
                found.append(Path(root) / name)
            if len(found) > 1:
                break
    found = [f for f in found if f.resolve() != parent.resolve()]
    if len(found) == 1:
        return found[0], "in the scanned folder"
    if found:
        return None, f"several templates named {name} in the scanned folder"
    return None, f"no template named {name} beside it or in a scanned folder"


def relative_url(child: Path, parent: Path) -> str:
    return os.path.relpath(child.resolve(), parent.resolve().parent)
