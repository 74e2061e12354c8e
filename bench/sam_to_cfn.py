"""Write the plain CloudFormation a SAM template deploys as: the same system, without the transform.

    .venv/bin/python bench/sam_to_cfn.py SAM.yaml OUT.yaml

`make bench` compares a SAM template with this translation of it, so that the ratio measures the
cost of SAM itself (the translator, its import, the origin bookkeeping) and nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from iacscan.load.cfn import DEFAULT_LIMITS, decode_text, read_text
from iacscan.load.sam import _translate
from iacscan.load.sam_prepare import plain, prepare, restore_local_paths


def translate(src: Path) -> dict[str, object]:
    data = decode_text(read_text(src), str(src))
    prepared = prepare(data, base_dir=src.parent, limits=DEFAULT_LIMITS)
    output = _translate(prepared.template, {}, file=str(src), original=data["Resources"], hint="")
    resources = output.get("Resources")
    if isinstance(resources, dict):
        restore_local_paths(resources, prepared.local_paths)
    result: dict[str, object] = plain(output)
    return result


def main(argv: list[str]) -> int:
    src, dst = Path(argv[0]), Path(argv[1])
    dst.write_text(yaml.safe_dump(translate(src), sort_keys=False, width=120), encoding="utf-8")
    print(f"{dst}  {dst.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
