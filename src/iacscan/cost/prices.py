"""The price table: data shipped in the package (``data/prices-REGION.yaml``) or a file given
with ``--prices``. Every row is dated and names its source page.

People edit ``data/prices-REGION.yaml`` (it is commented); a priced run reads its JSON copy
``data/prices-REGION.json``, written by ``scripts/gen_docs.py`` and kept equal by
tests/test_docs.py: the pure-Python YAML parser takes 20 ms for the table, JSON 0.1 ms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iacscan.errors import DefinitionError

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Price:
    key: str
    usd: float
    unit: str
    source: str
    date: str
    vcpu: float | None = None
    memory_gb: float | None = None

    def cite(self) -> str:
        return f"{self.source} ({self.date})"


@dataclass(frozen=True, slots=True)
class PriceTable:
    region: str
    origin: str  # "shipped us-east-1 table" or the file's path
    rows: Mapping[str, Price]

    def get(self, key: str) -> Price | None:
        return self.rows.get(key)

    def oldest(self) -> str:
        return min((p.date for p in self.rows.values()), default="")

    def describe(self) -> str:
        return f"{self.origin}, region {self.region}, rows dated {self.oldest()} or later"


def _number(value: object, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DefinitionError(
            f"{where}: {what} must be a number, not {value!r}",
            "see docs/cost.md for the price table's format",
        )
    return float(value)


def parse_table(data: object, origin: str) -> PriceTable:
    """A table from decoded YAML/JSON; a clear error naming the row when a row is malformed."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rows"), Mapping):
        raise DefinitionError(
            f"{origin}: a price table needs a `rows:` mapping", "see docs/cost.md"
        )
    region = str(data.get("region") or DEFAULT_REGION)
    rows: dict[str, Price] = {}
    for key, row in data["rows"].items():
        where = f"{origin}: row {key}"
        if not isinstance(row, Mapping):
            raise DefinitionError(f"{where} must be a mapping", "see docs/cost.md")
        for field in ("unit", "source", "date"):
            if not isinstance(row.get(field), str) or not row.get(field):
                raise DefinitionError(
                    f"{where} has no `{field}`",
                    "every price is dated and names its source page (docs/cost.md)",
                )
        vcpu = row.get("vcpu")
        memory = row.get("memory_gb")
        rows[str(key)] = Price(
            key=str(key),
            usd=_number(row.get("usd"), where, "usd"),
            unit=str(row["unit"]),
            source=str(row["source"]),
            date=str(row["date"]),
            vcpu=None if vcpu is None else _number(vcpu, where, "vcpu"),
            memory_gb=None if memory is None else _number(memory, where, "memory_gb"),
        )
    return PriceTable(region=region, origin=origin, rows=rows)


def _load_yaml(text: str, origin: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DefinitionError(
            f"{origin}: not valid YAML or JSON ({getattr(err, 'problem', None) or err})",
            "fix the file",
            file=origin,
            line=line,
        ) from None


def shipped(region: str = DEFAULT_REGION) -> PriceTable:
    import json

    ref = resources.files("iacscan.cost").joinpath("data", f"prices-{region}.json")
    if not ref.is_file():
        raise DefinitionError(
            f"no shipped price table for region {region}",
            "run `iacscan prices refresh --region REGION --output FILE` and pass --prices FILE",
        )
    return parse_table(json.loads(ref.read_text("utf-8")), f"shipped {region} table")


def load_table(path: str | None, region: str | None = None) -> PriceTable:
    """``--prices FILE`` when given, else the shipped table of ``region`` (default us-east-1)."""
    if path is None:
        return shipped(region or DEFAULT_REGION)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as err:
        raise DefinitionError(
            f"cannot read --prices {path}: {err.strerror or err}", "check the path", file=path
        ) from None
    return parse_table(_load_yaml(text, path), path)


def shipped_rows(region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The shipped table as decoded data (the base ``prices refresh`` starts from)."""
    shipped(region)  # validates it
    ref = resources.files("iacscan.cost").joinpath("data", f"prices-{region}.yaml")
    data = _load_yaml(ref.read_text("utf-8"), ref.name)
    return dict(data)


def dump_table(data: Mapping[str, Any]) -> str:
    """A table as YAML, one row per line, in the shipped table's layout."""
    lines = [
        "# iacscan price table (docs/cost.md), written by `iacscan prices refresh`.",
        f"region: {data['region']}",
        "currency: USD",
        "rows:",
    ]
    for key in sorted(data["rows"]):
        row = data["rows"][key]
        fields = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in row.items())
        lines.append(f"  {key}: {{{fields}}}")
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: object) -> str:
    """JSON for strings; floats written so that YAML 1.1 reads them back as numbers (it reads
    ``4e-07`` as a string: without a dot, an exponent is not a float)."""
    import json

    if isinstance(value, float) and math.isfinite(value):
        text = repr(value)
        if "e" in text or "E" in text:
            text = f"{value:.20f}".rstrip("0")
            text = text + "0" if text.endswith(".") else text
        return text
    return json.dumps(value)
