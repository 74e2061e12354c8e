"""Generate docs/rules.md, docs/criteria.md and docs/profiles.md from the registries,
knowledge/data/resources.json from resources.yaml and cost/data/prices-REGION.json from each
shipped price table (read by priced runs for the same reason: 20 ms of YAML, 0.1 ms of JSON).

`python scripts/gen_docs.py` rewrites them; tests/test_docs.py fails when they are stale.
resources.yaml is the table people edit (it is commented); iacscan reads the JSON copy, because
parsing 78 KB of YAML costs 40 ms on every run and JSON 1 ms.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from iacscan.classify.criteria import CRITERIA
from iacscan.classify.findings.registry import RULES
from iacscan.classify.profile import all_profiles

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TABLE = ROOT / "src" / "iacscan" / "knowledge" / "data" / "resources.yaml"
PRICES = sorted((ROOT / "src" / "iacscan" / "cost" / "data").glob("prices-*.yaml"))


def rules_md() -> str:
    out = ["# Costly-pattern rules", "", "Generated from `classify/findings/registry.py`.", ""]
    for doc, _ in RULES:
        out += [
            f"## {doc.id}",
            "",
            f"**{doc.title}** (severity: {doc.severity})",
            "",
            f"- What it detects: {doc.detects}",
            f"- Why it costs: {doc.why}",
            f"- What to do instead: {doc.instead}",
            f"- Source: {doc.source}",
            f"- Suppress: `--ignore {doc.id}`; on one resource `--ignore {doc.id}:RESOURCE` (its "
            f"id, label or CDK construct path) or `Metadata: {{iacscan: {{ignore: [{doc.id}]}}}}`",
            "",
        ]
    return "\n".join(out)


def criteria_md() -> str:
    out = ["# Criteria", "", "Generated from `classify/criteria.py`.", ""]
    for c in CRITERIA:
        out += [f"## {c.id}", "", f"**{c.title}**", "", c.text, "", f"Sources: {c.sources}", ""]
    return "\n".join(out)


def profiles_md() -> str:
    out = [
        "# Definition profiles",
        "",
        "Generated from `classify/profiles/*.yaml`. A custom definition",
        "file has the same keys: `id`, `title`, `passes` (levels), `ecs_on_ec2` (`warn` or `fail`),",
        "`sources` (author, title, date, url, quote); unknown keys are errors.",
        "",
    ]
    for p in all_profiles():
        out += [
            f"## {p.id}",
            "",
            p.title,
            "",
            f"- Passing levels: {', '.join(sorted(p.passes))}",
            f"- ECS on EC2 capacity: {p.ecs_on_ec2}",
        ]
        out += [
            f'- Source: {s.author}, "{s.title}" ({s.date}), {s.url}: "{s.quote}"' for s in p.sources
        ]
        out.append("")
    return "\n".join(out)


def resources_json() -> str:
    return json.dumps(yaml.safe_load(TABLE.read_text("utf-8")), indent=1, ensure_ascii=False)


def yaml_as_json(path: Path) -> Callable[[], str]:
    return lambda: json.dumps(yaml.safe_load(path.read_text("utf-8")), indent=1, ensure_ascii=False)


PAGES = {"rules.md": rules_md, "criteria.md": criteria_md, "profiles.md": profiles_md}
DATA = {TABLE.with_suffix(".json"): resources_json} | {
    p.with_suffix(".json"): yaml_as_json(p) for p in PRICES
}

if __name__ == "__main__":
    for name, fn in PAGES.items():
        (DOCS / name).write_text(fn() + "\n")
    for path, fn in DATA.items():
        path.write_text(fn() + "\n", "utf-8")
    sys.exit(0)
