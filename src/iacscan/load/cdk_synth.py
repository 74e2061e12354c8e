"""Run a CDK app's command the way the CDK CLI would, without the CLI.

The app gets ``CDK_OUTDIR`` (where to write the cloud assembly) and ``CDK_CONTEXT_JSON`` (the
context), AWS credentials are withheld unless asked for, the runner's variables are scrubbed,
output is captured with a size cap, the assembly it writes is capped in size, and it runs in a
sandbox where the host has one (``load/sandbox.py``). When the time or size limit passes, the
whole tree is killed: the sandbox's PID namespace, else the process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from iacscan.errors import LimitError, SynthError
from iacscan.load.app_tree import (
    TREE_MARK,
    adopt_orphans,
    assembly_cap,
    check_written,
    kill_marked,
    too_big,
)
from iacscan.load.cdk_hints import synth_hint
from iacscan.load.sandbox import (
    SandboxMode,
    choose,
    launch,
    protections,
    scrubbed_environment,
)
from iacscan.load.sandbox_setup import SETUP_FAILED

OUTPUT_CAP = 64 * 1024  # bytes kept of each of stdout and stderr (the last ones)
TAIL_LINES = 15
CONTEXT_ENV_MAX = 32 * 1024  # bigger contexts go through a file, as the CDK CLI does
NODE_MAJORS = ",".join(str(n) for n in range(10, 40))
WATCH_INTERVAL = 0.25  # seconds between two measures of what the app wrote

# Withheld from the app unless --synth-env-passthrough (AWS_CONTAINER_* by prefix). In a pull
# request check the app is the pull request's code: it must not get the job's GitHub token (which
# can comment and upload code scanning results) or its OIDC and runtime tokens either.
CREDENTIAL_VARS = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "IACSCAN_GITHUB_TOKEN",
    "INPUT_GITHUB-TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_RUNTIME_URL",
    "ACTIONS_RESULTS_URL",
    "ACTIONS_CACHE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
)
CREDENTIAL_PREFIXES = ("AWS_CONTAINER_",)

# jsii prints large banners about Node versions on stderr; they are noise in a report.
JSII_SILENCERS = {
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": NODE_MAJORS,
    "JSII_DEPRECATED": "quiet",
}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TRACEBACK_BANNER = re.compile(r"^\s*Traceback \(most recent call last\):\s*$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELL_TOKEN = re.compile(r"^[();<>|&]+$")
_AWS_ACCESS = re.compile(
    r"credential|Need to perform AWS calls|context provider|fromLookup|from_lookup"
    r"|account/region are not specified|Unable to resolve AWS account|ExpiredToken"
    r"|security token|AWS_PROFILE|profile .* could not be found",
    re.IGNORECASE,
)
_MISSING_DEPS = re.compile(
    r"No module named|ModuleNotFoundError|Cannot find module|command not found"
    r"|ERR_MODULE_NOT_FOUND|could not find or load main class|package .* is not in std",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SynthRun:
    """What one run of the app command did."""

    command: str
    seconds: float
    stdout: str  # the last OUTPUT_CAP bytes, decoded
    stderr: str
    withheld: tuple[str, ...]  # credential variables removed from the app's environment
    protection: str = ""  # one sentence: the sandbox that was in force


def app_argv(command: str) -> tuple[list[str], dict[str, str]]:
    """Split cdk.json's ``app`` into argv and leading ``VAR=value`` assignments.

    Commands that need a shell (``&&``, pipes, redirections, ``$VAR``) run through ``sh -c``,
    as the CDK CLI runs them through a shell; the app's code runs either way.
    """
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as err:
        raise SynthError(
            f"cannot parse the app command `{command}`: {err}",
            'fix the quoting of "app" in cdk.json',
        ) from None
    if any(_SHELL_TOKEN.match(t) for t in tokens) or re.search(r"[`$]", command):
        if sys.platform == "win32":
            return ["cmd", "/c", command], {}
        return ["/bin/sh", "-c", command], {}
    assignments: dict[str, str] = {}
    while tokens and _ASSIGNMENT.match(tokens[0]):
        name, _, value = tokens.pop(0).partition("=")
        assignments[name] = value
    if not tokens:
        raise SynthError(
            f"the app command `{command}` runs nothing",
            'set "app" in cdk.json to the command that runs the app, e.g. "python3 app.py"',
        )
    if len(tokens) == 1 and tokens[0].endswith(".js"):
        tokens.insert(0, "node")  # what the CDK CLI does with a bare .js file
    return tokens, assignments


def app_environment(
    *, outdir: Path, context: Mapping[str, Any], env_passthrough: bool, scratch: Path
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The app's environment and the names of the credential variables withheld from it."""
    env = dict(os.environ)
    withheld: list[str] = []
    if not env_passthrough:
        for name in sorted(env):
            if name in CREDENTIAL_VARS or name.startswith(CREDENTIAL_PREFIXES):
                del env[name]
                withheld.append(name)
        # The SDKs would still find ~/.aws files and instance metadata: point them at nothing.
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(scratch / "no-aws-credentials")
        env["AWS_CONFIG_FILE"] = str(scratch / "no-aws-config")
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        # No network for the app (load/sandbox.py): npx would retry a registry it cannot reach
        # for a minute before failing on a package that is not installed; offline, it fails
        # at once (ENOTCACHED), and the hint says to run `npm ci`.
        env.setdefault("npm_config_offline", "true")
    for name, value in JSII_SILENCERS.items():
        env.setdefault(name, value)
    env["CDK_OUTDIR"] = str(outdir)
    context_json = json.dumps(context, sort_keys=True)
    env.pop("CONTEXT_OVERFLOW_LOCATION_ENV", None)
    if len(context_json) > CONTEXT_ENV_MAX:
        overflow = scratch / "context.json"
        overflow.write_text(context_json, encoding="utf-8")
        env["CONTEXT_OVERFLOW_LOCATION_ENV"] = str(overflow)
        env["CDK_CONTEXT_JSON"] = "{}"
    else:
        env["CDK_CONTEXT_JSON"] = context_json
    return env, tuple(withheld)


def run_app(
    command: str,
    *,
    cwd: Path,
    outdir: Path,
    context: Mapping[str, Any],
    timeout: float,
    env_passthrough: bool,
    scratch: Path,
    file: str,
    sandbox: SandboxMode = "auto",
) -> SynthRun:
    """Run the app; raise SynthError/LimitError unless it exits 0 having written manifest.json."""
    argv, assignments = app_argv(command)
    env, withheld = app_environment(
        outdir=outdir, context=context, env_passthrough=env_passthrough, scratch=scratch
    )
    env.update(assignments)
    aws = tuple(n for n in env if n.startswith("AWS_")) if env_passthrough else ()
    env = scrubbed_environment(env, keep=(*assignments, *aws))
    box = choose(sandbox, file=file)
    mark = ""
    if not box.active and adopt_orphans():
        # No PID namespace: what the app starts is marked, adopted when orphaned, and killed.
        mark = os.urandom(8).hex()
        env[TREE_MARK] = mark
    exe = shutil.which(argv[0], path=env.get("PATH")) if os.sep not in argv[0] else argv[0]
    if exe is None:
        raise SynthError(
            f"cannot run the app command `{command}`: {argv[0]} is not on PATH",
            f"install {argv[0]} or put it on PATH (activate the app's virtualenv), "
            "or synthesize with `cdk synth` yourself and scan cdk.out with --no-synth",
            file=file,
        )
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    status = scratch / "sandbox-status"
    plan = launch(
        box,
        argv,
        env=env,
        cwd=cwd,
        writable=(cwd, outdir),
        home=home,
        status_file=status,
        network=env_passthrough,
        file_size_cap=assembly_cap(),
    )
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            plan.argv,
            cwd=cwd,
            env=plan.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=plan.pass_fds,
            preexec_fn=plan.preexec,  # noqa: PLW1509 - rlimits and prctl only (sandbox_setup.child_limits)
        )
    except OSError as err:
        raise SynthError(
            f"cannot run the app command `{command}`: {err.strerror or err}",
            'check the "app" command in cdk.json and that its program is installed',
            file=file,
        ) from None
    finally:
        plan.started()
    assert proc.stdout is not None and proc.stderr is not None
    out, errs = _Tail(proc.stdout), _Tail(proc.stderr)
    try:
        _wait(proc, timeout, (outdir, home), file)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out.join()
        errs.join()
        last = tail_lines(errs.text(), 5) or tail_lines(out.text(), 5)
        shown = "".join(f"\n    {line}" for line in last)
        raise LimitError(
            f"the CDK app did not finish synthesizing within {timeout:g} s "
            f"(`{command}` was stopped){'; its last output:' if last else ''}{shown}",
            "raise the limit with --synth-timeout SECONDS, or run `cdk synth` yourself and scan "
            "the cdk.out folder with --no-synth",
            file=file,
        ) from None
    except BaseException:
        _kill_group(proc)
        raise
    finally:
        _end_group(proc)
        if mark:
            kill_marked(mark)
    out.join()
    errs.join()
    run = SynthRun(
        command=command,
        seconds=time.monotonic() - started,
        stdout=out.text(),
        stderr=errs.text(),
        withheld=withheld,
        protection=protections(box, plan.status_file, network=env_passthrough),
    )
    check_written((outdir, home), file)
    if proc.returncode == -signal.SIGXFSZ:
        raise too_big(file)
    if box.active and proc.returncode == SETUP_FAILED and "iacscan-sandbox:" in run.stderr:
        raise SynthError(
            f"the {box.method} sandbox could not be set up on this host: "
            + " ".join(tail_lines(run.stderr, 3)),
            "scan with --no-synth, or pass --sandbox off on a machine you trust",
            file=file,
        )
    if proc.returncode != 0:
        raise _failure(run, proc.returncode, file)
    if not (outdir / "manifest.json").is_file():
        raise SynthError(
            f"`{command}` exited with code 0 but wrote no cloud assembly "
            "(no manifest.json in the CDK_OUTDIR folder)",
            "make sure the app calls app.synth() and creates its App without an explicit "
            "outdir, so that it writes where CDK_OUTDIR says",
            file=file,
        )
    return run


def _wait(
    proc: subprocess.Popen[bytes], timeout: float, written: tuple[Path, ...], file: str
) -> None:
    """Wait for the app, measuring what it writes; TimeoutExpired past ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        try:
            proc.wait(timeout=min(WATCH_INTERVAL, left))
            return
        except subprocess.TimeoutExpired:
            check_written(written, file)


def tail_lines(text: str, count: int = TAIL_LINES) -> list[str]:
    """The last ``count`` meaningful lines of the app's output, for a message.

    Python's "Traceback (most recent call last):" banner is left out: it says nothing the
    frames below do not, and in iacscan's own stderr it would read like a crash of iacscan.
    """
    lines = [
        line.rstrip()[:400]
        for line in _ANSI.sub("", text).splitlines()
        if line.strip() and not _TRACEBACK_BANNER.match(line)
    ]
    return lines[-count:]


def _failure(run: SynthRun, code: int, file: str) -> SynthError:
    if code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with code {code}"
    lines = tail_lines(run.stderr) or tail_lines(run.stdout)
    shown = "\n".join(f"    {line}" for line in lines) if lines else "    (no output)"
    output = run.stderr + "\n" + run.stdout
    specific = synth_hint(output, Path(file) if file else None)
    if specific is not None:
        hint = specific
    elif _AWS_ACCESS.search(output):
        hint = (
            "the app needs AWS access while synthesizing (credentials or context lookups); "
            "iacscan withholds AWS credentials from it: pass --synth-env-passthrough to give it "
            "your AWS environment, or run `cdk synth` once so cdk.context.json holds the "
            "lookups, then scan again"
        )
    elif _MISSING_DEPS.search(output):
        hint = (
            "install the app's dependencies (e.g. `pip install -r requirements.txt` in the "
            "environment whose python3 is on PATH, or `npm ci`), then scan again"
        )
    else:
        hint = (
            "fix the error above (the app fails the same way under `cdk synth`), or scan an "
            "already synthesized cdk.out folder with --no-synth"
        )
    return SynthError(
        f"the CDK app failed to synthesize: `{run.command}` {how}:\n{shown}", hint, file=file
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the app and everything it started (it leads its own process group)."""
    if sys.platform == "win32":  # pragma: no cover
        proc.kill()
        proc.wait()
        return
    for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=grace)
            if sig == signal.SIGKILL:
                break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlived the leader
    proc.wait()


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    """After the app exits, stop what it left running in its group (e.g. a jsii kernel)."""
    if sys.platform == "win32" or proc.returncode is None:  # pragma: no cover
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


class _Tail:
    """Drain a pipe on a thread, keeping only the last OUTPUT_CAP bytes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        read = getattr(self._stream, "read1", self._stream.read)
        try:
            while chunk := read(65536):
                self._buf += chunk
                if len(self._buf) > 2 * OUTPUT_CAP:
                    del self._buf[:-OUTPUT_CAP]
        except (OSError, ValueError):
            pass

    def join(self) -> None:
        # A grandchild that left the process group may hold the pipe open: do not hang on it.
        self._thread.join(timeout=5.0)
        if not self._thread.is_alive():
            self._stream.close()

    def text(self) -> str:
        return bytes(self._buf[-OUTPUT_CAP:]).decode("utf-8", "replace")
