"""The SAM translation cache (load/sam_cache.py): a hit gives exactly what a translation gives,
every input that changes the translation misses, and a broken or busy cache never fails a scan."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from iacscan.load.cfn import DEFAULT_LIMITS, decode_text
from iacscan.load.discover import SynthOptions, load_paths
from iacscan.load.sam import transform_sam
from iacscan.load.sam_cache import SamCache
from iacscan.load.sam_prepare import plain
from iacscan.model import Template, line_of

SAM = Path(__file__).resolve().parent.parent / "fixtures" / "sam"
FIXTURES = sorted(
    p.name for p in SAM.glob("*.yaml") if p.name not in ("rejected.yaml", "foreach_no_default.yaml")
)


def cache_at(root: Path) -> SamCache:
    return SamCache.default(root)


def translate(file: Path, cache: SamCache | None) -> Template:
    data = decode_text(file.read_text(), str(file))
    return transform_sam(
        data,
        file=str(file),
        stack=file.stem,
        base_dir=file.parent,
        limits=DEFAULT_LIMITS,
        cache=cache,
    )


def marks(value: Any, path: str = "") -> Iterator[tuple[str, int | None]]:
    """Every value's path with its line, so that a hit is compared line by line."""
    yield path, line_of(value)
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + "/" + str(k) + f"@{line_of(k)}", None
            yield from marks(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from marks(v, f"{path}[{i}]")


def fingerprint(t: Template) -> dict[str, Any]:
    return {
        lid: {
            "type": r.type,
            "line": r.line,
            "origin": r.origin,
            "properties": json.dumps(plain(r.properties), sort_keys=True),
            "metadata": json.dumps(plain(r.metadata), sort_keys=True),
            "marks": sorted(marks(r.properties), key=str),
        }
        | {"order": i}
        for i, (lid, r) in enumerate(t.resources.items())
    } | {
        "_outputs": json.dumps(plain(t.outputs), sort_keys=True),
        "_attachments": sorted(t.attachments),
    }


class Calls:
    """Counts translator runs; ``fail`` makes any run an error (proves a hit)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from samtranslator.translator.translator import Translator

        self.count = 0
        self.fail = False
        real = Translator.translate

        def counted(translator: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self.fail:
                raise AssertionError("the translator ran on what should be a cache hit")
            return real(translator, *args, **kwargs)

        monkeypatch.setattr(Translator, "translate", counted)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return Calls(monkeypatch)


@pytest.mark.parametrize("name", FIXTURES)
def test_a_hit_gives_the_same_resources_lines_and_origins(
    name: str, tmp_path: Path, calls: Calls
) -> None:
    cache = cache_at(tmp_path / "cache")
    fresh = translate(SAM / name, None)
    first = translate(SAM / name, cache)
    calls.fail = True
    second = translate(SAM / name, cache)
    assert fingerprint(first) == fingerprint(fresh)
    assert fingerprint(second) == fingerprint(fresh)
    assert {lid: r.origin for lid, r in second.resources.items()} == {
        lid: r.origin for lid, r in fresh.resources.items()
    }
    assert any(r.origin for r in second.resources.values())


def test_a_changed_template_misses(tmp_path: Path, calls: Calls) -> None:
    cache = cache_at(tmp_path / "cache")
    file = tmp_path / "t.yaml"
    text = (SAM / "events_pull.yaml").read_text()
    file.write_text(text)
    translate(file, cache)
    file.write_text(text.replace("nodejs20.x", "nodejs22.x"))
    changed = translate(file, cache)
    assert calls.count == 2
    runtimes = {
        r.properties.get("Runtime")
        for r in changed.resources.values()
        if r.type == "AWS::Lambda::Function"
    }
    assert runtimes == {"nodejs22.x"}


def test_a_changed_local_definition_file_misses(tmp_path: Path, calls: Calls) -> None:
    cache = cache_at(tmp_path / "cache")
    shutil.copy(SAM / "state_machine.yaml", tmp_path / "state_machine.yaml")
    shutil.copytree(SAM / "statemachine", tmp_path / "statemachine")
    asl = tmp_path / "statemachine" / "order.asl.json"
    translate(tmp_path / "state_machine.yaml", cache)
    asl.write_text(asl.read_text().replace('"Comment"', '"Comment": "changed", "X"', 1))
    translate(tmp_path / "state_machine.yaml", cache)
    assert calls.count == 2


def test_a_changed_translator_iacscan_or_caller_misses(tmp_path: Path, calls: Calls) -> None:
    cache = cache_at(tmp_path / "cache")
    translate(SAM / "events_push.yaml", cache)
    translate(SAM / "events_push.yaml", replace(cache, translator="0.0.1"))
    translate(SAM / "events_push.yaml", replace(cache, tool="0.0.1"))
    translate(SAM / "events_push.yaml", replace(cache, code="changed-sam.py"))
    assert calls.count == 4
    translate(SAM / "events_push.yaml", cache)
    assert calls.count == 4
    assert len(list((tmp_path / "cache").glob("*.json"))) == 4


def test_parameter_values_are_part_of_the_key(tmp_path: Path, calls: Calls) -> None:
    cache = cache_at(tmp_path / "cache")
    file = SAM / "events_pull.yaml"
    data = decode_text(file.read_text(), str(file))
    for values in ({}, {"Stage": "dev"}, {}):
        transform_sam(
            data,
            file=str(file),
            stack="s",
            base_dir=SAM,
            limits=DEFAULT_LIMITS,
            parameter_values=values,
            cache=cache,
        )
    assert calls.count == 2


def _poison(root: Path) -> None:
    """Replace every entry's output by a valid one with no resources: a hit is then visible."""
    for entry in root.glob("*.json"):
        data = json.loads(entry.read_text())
        data["output"] = {"Resources": {}}
        entry.write_text(json.dumps(data))


def test_no_cache_neither_reads_nor_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "xdg" / "iacscan" / "sam"
    file = str(SAM / "events_push.yaml")
    off = SynthOptions(use_cache=False)
    load_paths([file], synth=off)
    assert not root.exists()
    load_paths([file])  # writes the entry
    assert len(list(root.glob("*.json"))) == 1
    _poison(root)
    assert load_paths([file]).templates[0].resources == {}  # the poisoned entry is read...
    assert load_paths([file], synth=off).templates[0].resources  # ...and skipped by --no-cache
    assert calls.count == 3


def test_a_corrupt_entry_is_translated_again_and_rewritten(tmp_path: Path, calls: Calls) -> None:
    cache = cache_at(tmp_path / "cache")
    fresh = translate(SAM / "events_push.yaml", cache)
    (entry,) = (tmp_path / "cache").glob("*.json")
    good = entry.read_text()
    for broken in (good[: len(good) // 2], "", "[]", '{"key": "other", "output": {}}', "\x00\xff"):
        entry.write_bytes(broken.encode("utf-8", "surrogateescape"))
        again = translate(SAM / "events_push.yaml", cache)
        assert fingerprint(again) == fingerprint(fresh)
        assert json.loads(entry.read_text())["key"] == entry.stem
    assert calls.count == 6


def test_an_unwritable_cache_is_a_miss_not_an_error(tmp_path: Path, calls: Calls) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = cache_at(blocker / "cache")
    fresh = translate(SAM / "events_push.yaml", None)
    assert fingerprint(translate(SAM / "events_push.yaml", cache)) == fingerprint(fresh)
    assert fingerprint(translate(SAM / "events_push.yaml", cache)) == fingerprint(fresh)
    assert calls.count == 3


def test_values_json_does_not_keep_are_not_stored(tmp_path: Path) -> None:
    cache = cache_at(tmp_path / "cache")
    cache.put("k1", {"Resources": {"A": {"Type": "T", "Properties": {"X": (1, 2)}}}})
    cache.put("k2", {"Resources": {}, "Outputs": {1: "int key"}})
    assert not list((tmp_path / "cache").glob("*.json"))


def test_least_recently_used_entries_are_trimmed(tmp_path: Path) -> None:
    cache = cache_at(tmp_path / "cache")
    for i in range(5):
        cache.put(f"k{i}", {"Resources": {"R": {"Type": f"T{i}"}}})
        os.utime(tmp_path / "cache" / f"k{i}.json", (1000 + i, 1000 + i))
    assert cache.get("k0") is not None  # used now: the newest
    (tmp_path / "cache" / ".tmp-left-by-a-killed-writer.json").write_text("{")
    os.utime(tmp_path / "cache" / ".tmp-left-by-a-killed-writer.json", (1, 1))
    cache.trim(max_entries=3)
    assert {p.stem for p in (tmp_path / "cache").glob("*.json")} == {"k0", "k3", "k4"}
    assert not list((tmp_path / "cache").glob(".tmp-*"))
    cache.trim(max_entries=10, max_bytes=1)
    assert not list((tmp_path / "cache").glob("*.json"))


def test_writes_trim_the_cache_now_and_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools

    import iacscan.load.sam_cache as sam_cache

    monkeypatch.setattr(sam_cache, "MAX_ENTRIES", 3)
    monkeypatch.setattr(sam_cache, "TRIM_EVERY", 4)
    monkeypatch.setattr(sam_cache, "_WRITES", itertools.count())
    cache = cache_at(tmp_path / "cache")
    for i in range(10):
        cache.put(f"k{i}", {"Resources": {}})
        os.utime(tmp_path / "cache" / f"k{i}.json", (1000 + i, 1000 + i))
    # trimmed to 3 at writes 0, 4 and 8 (the oldest first), then one more write
    assert {p.stem for p in (tmp_path / "cache").glob("*.json")} == {"k6", "k7", "k8", "k9"}


def _write_and_read(args: tuple[str, int]) -> list[str]:
    """One of several processes: store the same keys over and over and read them back."""
    root, worker = args
    cache = SamCache(Path(root), "v", "t")
    problems = []
    for round_ in range(40):
        for k in range(4):
            output = {"Resources": {f"R{i}": {"Type": "T", "N": k} for i in range(300)}}
            cache.put(f"key{k}", output)
            got = cache.get(f"key{k}")
            if got is not None and got != output:
                problems.append(f"worker {worker} round {round_}: key{k} read back wrong")
    return problems


def test_concurrent_writers_never_leave_a_partial_entry(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    with ProcessPoolExecutor(max_workers=4) as pool:
        problems = [
            p for ps in pool.map(_write_and_read, [(str(root), w) for w in range(4)]) for p in ps
        ]
    assert problems == []
    entries = sorted(p.name for p in root.iterdir())
    assert entries == [f"key{k}.json" for k in range(4)]  # no temporary file left behind
    for k in range(4):
        assert json.loads((root / f"key{k}.json").read_text())["key"] == f"key{k}"


def test_concurrent_scans_of_sam_templates_agree(tmp_path: Path) -> None:
    """Several CLI processes sharing one fresh cache give the report a cacheless scan gives."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    file = str(SAM / "state_machine.yaml")
    cmd = [sys.executable, "-m", "iacscan", file, "--format", "json"]
    expected = subprocess.run([*cmd, "--no-cache"], env=env, capture_output=True, text=True)
    assert not (tmp_path / "xdg").exists()
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert expected.returncode == 0, expected.stderr
    assert set(outs) | {again.stdout} == {expected.stdout}
    assert len(list((tmp_path / "xdg" / "iacscan" / "sam").glob("*.json"))) == 1


def test_a_rerun_does_not_import_the_translator(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    code = (
        "import sys\n"
        "from iacscan.load.discover import load_paths\n"
        f"loaded = load_paths([{str(SAM / 'globals_alias.yaml')!r}])\n"
        "assert loaded.templates and not loaded.errors, loaded.errors\n"
        "print('samtranslator.translator.translator' in sys.modules)\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        for _ in range(2)
    ]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], [r.stderr for r in runs]


CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").exists(), reason="the shared corpus is absent")
def test_corpus_sam_templates_are_the_same_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every 8th SAM template of the corpus: cacheless, first cached and cached loads agree."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    rows = [r.split("\t") for r in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]]
    sam = [CORPUS / r[0] for r in rows if len(r) > 6 and r[6] == "true"]  # the is_sam column
    checked = 0
    for path in sam[::8]:
        runs = [
            load_paths([str(path)], synth=SynthOptions(use_cache=use))
            for use in (False, True, True)
        ]
        if runs[0].errors:
            assert [e.message for r in runs for e in r.errors] == [
                e.message for e in runs[0].errors
            ] * 3
            continue
        prints = [[fingerprint(t) for t in r.templates] for r in runs]
        assert prints[1] == prints[0] and prints[2] == prints[0], path
        checked += 1
    assert checked > 40
