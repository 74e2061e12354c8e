"""Loading the two sides of a diff (load/sides.py): each distinct file content is decoded and
translated once, the result is the one two separate loads give, and CDK apps on both sides
synthesize at the same time."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import iacscan.load.discover as discover
from iacscan.batch import analyze_loaded
from iacscan.classify.profile import load_profile
from iacscan.diff import diff_analyses
from iacscan.load.cfn import DEFAULT_LIMITS
from iacscan.load.discover import Loaded, LoadMemo, SynthOptions, load_paths
from iacscan.load.sides import load_sides
from iacscan.render.json_report import diff_to_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TEMPLATES = FIXTURES / "templates"
SAM = FIXTURES / "sam"
SHARED = ["extract-iam.yaml", "extract-pipes.yaml", "extract-ecs.yaml", "extract-alb.yaml"]


def trees(tmp_path: Path) -> tuple[Path, Path]:
    """Two trees sharing every file but one, which the head changes; plus a SAM template."""
    base, head = tmp_path / "base", tmp_path / "head"
    for side in (base, head):
        side.mkdir()
        for name in SHARED:
            shutil.copy(TEMPLATES / name, side / name)
        shutil.copy(SAM / "events_push.yaml", side / "events_push.yaml")
    changed = head / "extract-pipes.yaml"
    changed.write_text(changed.read_text() + "\nOutputs:\n  Extra:\n    Value: changed\n")
    return base, head


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the loader decodes, in order."""
    seen: list[str] = []
    real = discover.decode_text

    def counting(text: str, file: str, limits: Any = DEFAULT_LIMITS, *rest: Any) -> Any:
        seen.append(file)
        return real(text, file, limits, *rest)

    monkeypatch.setattr(discover, "decode_text", counting)
    return seen


def report(base: Loaded, head: Loaded) -> dict[str, Any]:
    profile = load_profile("johnston-2023")
    before = analyze_loaded(base, profile, (), True)
    after = analyze_loaded(head, profile, (), True)
    data: dict[str, Any] = diff_to_dict(diff_analyses(before, after))
    return data


def test_shared_files_are_decoded_once_and_keep_their_side(
    tmp_path: Path, decoded: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    base, head = trees(tmp_path)
    separate = report(
        load_paths([str(base)], empty_is_error=False), load_paths([str(head)], empty_is_error=False)
    )
    decoded.clear()
    b, h = load_sides([str(base)], [str(head)], limits=DEFAULT_LIMITS, synth=SynthOptions())
    plain_decoded = {Path(f).relative_to(tmp_path).as_posix() for f in decoded}
    assert plain_decoded == {f"base/{n}" for n in SHARED} | {
        "base/events_push.yaml",
        "head/extract-pipes.yaml",
        "head/events_push.yaml",  # SAM: decoded on each side, translated once (the cache)
    }
    assert {t.file for t in h.templates} == {str(head / n) for n in [*SHARED, "events_push.yaml"]}
    assert {i.path for i in h.inputs} == {t.file for t in h.templates}
    assert json.dumps(report(b, h), sort_keys=True) == json.dumps(separate, sort_keys=True)


def test_sam_shared_by_both_sides_is_translated_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from samtranslator.translator.translator import Translator

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    calls: list[int] = []
    real = Translator.translate

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Translator, "translate", counted)
    base, head = trees(tmp_path)
    load_sides([str(base)], [str(head)], limits=DEFAULT_LIMITS, synth=SynthOptions())
    assert len(calls) == 1


def test_a_changed_or_failing_file_is_not_reused(tmp_path: Path, decoded: list[str]) -> None:
    memo = LoadMemo()
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    broken = "Resources:\n  A: [1\n"
    base.write_text(broken)
    head.write_text(broken)
    b = load_paths([str(base)], memo=memo)
    h = load_paths([str(head)], memo=memo)
    assert len(decoded) == 2 and memo.hits == 0
    assert [e.file for e in b.errors] == [str(base)] and [e.file for e in h.errors] == [str(head)]
    text = (TEMPLATES / "extract-iam.yaml").read_text()
    base.write_text(text)
    head.write_text(
        text.replace("Resources:", "Resources:\n  Extra:\n    Type: AWS::SQS::Queue", 1)
    )
    load_paths([str(base)], memo=memo)
    h = load_paths([str(head)], memo=memo)
    assert memo.hits == 0 and "Extra" in h.templates[0].resources


def test_nested_stacks_are_loaded_on_each_side(tmp_path: Path, decoded: list[str]) -> None:
    """A template that includes a local nested stack depends on more than its own content."""
    parent = FIXTURES / "multi" / "nested" / "parent.yaml"  # TemplateURL: ./child.yaml
    memo = LoadMemo()
    first = load_paths([str(parent)], memo=memo)
    again = load_paths([str(parent)], memo=memo)
    assert memo.hits == 0 and len(decoded) == 4
    assert len(first.templates) == len(again.templates) == 2


def test_cdk_apps_on_both_sides_synthesize_at_the_same_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each side's synthesis waits for the other's to start: run one after the other, the
    barrier breaks and the test fails."""
    import iacscan.load.cdk as cdk

    barrier = threading.Barrier(2, timeout=30)
    started: list[str] = []

    def synthesize(path: Path, **kwargs: Any) -> Any:
        started.append(path.name)
        barrier.wait()
        return SimpleNamespace(
            templates=[], notes=[f"synthesized {path.name}"], assembly_dir=path / "cdk.out"
        )

    monkeypatch.setattr(cdk, "load_cdk_app", synthesize)
    sides = []
    for name in ("base", "head"):
        app = tmp_path / name
        app.mkdir()
        (app / "cdk.json").write_text('{"app": "python3 app.py"}')
        sides.append([str(app)])
    b, h = load_sides(sides[0], sides[1], limits=DEFAULT_LIMITS, synth=SynthOptions())
    assert sorted(started) == ["base", "head"]
    assert b.notes == ["synthesized base"] and h.notes == ["synthesized head"]
