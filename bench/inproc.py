"""In-process timings of one template, run in a fresh interpreter by bench/run.py.

    .venv/bin/python bench/inproc.py FILE [REPEATS]

Prints one JSON object: import time of the library, the first (cold) scan, and per-repeat warm
timings of the stages (read+decode, load total, analyze, JSON render) plus a plain libyaml
CSafeLoader parse of the same text. Uses the library the way tests/scan_helpers.py does.
"""

from __future__ import annotations

import json
import sys
import time


def perf() -> float:
    return time.perf_counter()


def cpu() -> float:
    return time.process_time()


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> dict[str, float]:
    return {"wall": time.perf_counter() - start[0], "cpu": time.process_time() - start[1]}


def csafe_loader() -> type:
    import yaml

    class Loader(yaml.CSafeLoader):  # accepts !Ref, !GetAtt, !Sub ... like any CFN reader must
        pass

    def unknown(loader: yaml.Loader, suffix: str, node: yaml.Node) -> object:
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node, deep=True)}
        return {suffix: loader.construct_mapping(node, deep=True)}

    Loader.add_multi_constructor("!", unknown)
    return Loader


class Timer:
    """Wraps a module attribute and adds up the time spent in it."""

    def __init__(self, module: object, name: str) -> None:
        self.total = 0.0
        self.total_cpu = 0.0
        self.ok = hasattr(module, name)
        if not self.ok:
            return
        inner = getattr(module, name)

        def wrapped(*a: object, **kw: object) -> object:
            t, c = clocks()
            try:
                return inner(*a, **kw)
            finally:
                self.total += perf() - t
                self.total_cpu += cpu() - c

        setattr(module, name, wrapped)

    def take(self) -> dict[str, float] | None:
        value = {"wall": self.total, "cpu": self.total_cpu}
        self.total = self.total_cpu = 0.0
        return value if self.ok else None


def main() -> None:
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    out: dict[str, object] = {"file": path}

    t = clocks()
    import iacscan.analysis as analysis_mod
    import iacscan.load.discover as discover_mod
    from iacscan.classify.profile import load_profile
    from iacscan.load.iam_actions import action_table

    out["import_library"] = since(t)
    t = clocks()
    import cfnlint.decode.decode  # noqa: F401  (lazily imported by iacscan.load.cfn)

    out["import_cfnlint_decode"] = since(t)
    t = clocks()
    import iacscan.load.sam as sam_mod  # noqa: F401  (lazily imported for SAM templates)

    out["import_sam"] = since(t)

    decode_t = Timer(discover_mod, "decode_text")
    sam_t = Timer(sam_mod, "transform_sam")
    topo_t = Timer(analysis_mod, "build_topology")
    classify_t = Timer(analysis_mod, "classify")

    from iacscan.render.json_report import analysis_to_dict

    def scan_once() -> dict[str, object]:
        r: dict[str, object] = {}
        t0 = clocks()
        # no translation cache: the SAM rows measure the translation itself
        loaded = discover_mod.load_paths([path], synth=discover_mod.SynthOptions(use_cache=False))
        r["load"] = since(t0)
        t1 = clocks()
        profile = load_profile("johnston-2023")
        actions = action_table()
        r["profile_actions"] = since(t1)
        t2 = clocks()
        analysis = analysis_mod.analyze(
            loaded.templates,
            profile=profile,
            actions=actions,
            inputs=loaded.inputs,
            errors=loaded.errors,
            notes=loaded.notes,
        )
        r["analyze"] = since(t2)
        t3 = clocks()
        text = json.dumps(analysis_to_dict(analysis), indent=2, ensure_ascii=False)
        r["render_json"] = since(t3)
        r["total"] = since(t0)
        r["decode"] = decode_t.take()
        r["sam_transform"] = sam_t.take()
        r["topology"] = topo_t.take()
        r["classify"] = classify_t.take()
        r["nodes"] = len(analysis.topology.nodes)
        r["edges"] = len(analysis.topology.edges)
        r["errors"] = len(analysis.errors) + len(analysis.internal_errors)
        r["json_bytes"] = len(text)
        return r

    import yaml

    loader = csafe_loader()
    with open(path, encoding="utf-8") as fh:
        text = fh.read()

    def csafe_once() -> dict[str, float]:
        t = clocks()
        yaml.load(text, Loader=loader)  # noqa: S506 (a CSafeLoader subclass)
        return since(t)

    out["cold"] = scan_once()
    warm, runs = [], []
    for _ in range(repeats):  # interleaved, so both see the same heap and machine load
        runs.append(csafe_once())
        warm.append(scan_once())
    out["warm"] = warm
    out["csafe_parse"] = runs
    if path.endswith(".json"):
        runs = []
        for _ in range(repeats):
            t = clocks()
            json.loads(text)
            runs.append(since(t))
        out["json_loads"] = runs
    import resource

    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
