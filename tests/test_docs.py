"""docs/ pages are generated from the registries and must not go stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_docs_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name, fn in mod.PAGES.items():
        assert (ROOT / "docs" / name).read_text() == fn() + "\n", (
            f"run scripts/gen_docs.py ({name})"
        )
    for path, fn in mod.DATA.items():
        assert path.read_text("utf-8") == fn() + "\n", f"run scripts/gen_docs.py ({path.name})"


def test_every_rule_and_profile_is_documented() -> None:
    from iacscan.classify.findings.registry import RULES
    from iacscan.classify.profile import BUILTIN

    rules = (ROOT / "docs" / "rules.md").read_text()
    profiles = (ROOT / "docs" / "profiles.md").read_text()
    assert all(f"## {doc.id}" in rules for doc, _ in RULES)
    assert all(f"## {p}" in profiles for p in BUILTIN)
    ids = [doc.id for doc, _ in RULES]
    assert len(ids) == len(set(ids)) and all(
        i.replace("-", "").isalnum() and i.islower() for i in ids
    )
