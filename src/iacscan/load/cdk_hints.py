"""What to do when a CDK app fails to synthesize: a hint with the command that fixes it.

Read from the app's output (stderr, then stdout). The cases CDK users hit most:

- a Python module is missing (an alpha module such as ``aws_cdk.aws_apigatewayv2_alpha``,
  ``cdk_nag``): ``pip install -r requirements.txt`` in the environment whose ``python3`` runs
  the app, naming the package;
- a TypeScript/JavaScript app without its ``node_modules`` (``Cannot find module``, or ``npx``
  refusing to install ``ts-node``): ``npm ci`` in the app folder;
- the app reads ``CDK_DEFAULT_ACCOUNT``/``CDK_DEFAULT_REGION`` (``os.environ[...]``), which the
  CDK CLI sets: set them for the scan;
- an asset that bundles with Docker (``PythonFunction``, ``NodejsFunction`` without esbuild,
  ``DockerImageAsset``) where Docker is missing or not running: iacscan already asks CDK to skip
  bundling (the context key ``aws:cdk:bundling-stacks`` is empty), so this construct bundles
  anyway (a NodejsFunction does so when esbuild is not installed in the app);
- a file of the app's own that is missing (``Cannot find module '../.env.test'``: ignored by
  git, made by a build step), which ``npm ci`` does not make;
- the region the app needs (cross-region references) and pnpm switching versions offline.

None when the output matches none of them (the caller keeps its general hints).
"""

from __future__ import annotations

import re
from pathlib import Path

_CDK_ENV = re.compile(r"KeyError: '(CDK_DEFAULT_(?:ACCOUNT|REGION))'")
_PY_MODULE = re.compile(r"No module named '([A-Za-z0-9_.]+)'")
_NODE_MODULE = re.compile(r"Cannot find module '([^']+)'")
_NPX_REFUSED = re.compile(
    r"npx canceled due to missing packages|could not determine executable to run"
    r"|npm (?:ERR!|error) code (?:ENOTFOUND|EAI_AGAIN|ENOTCACHED)|ts-node: not found"
    r"|tsc: not found",
    re.IGNORECASE,
)
_DOCKER = re.compile(
    r"spawnSync docker ENOENT|docker: (?:command )?not found|Cannot connect to the Docker daemon"
    r"|Failed to bundle asset|docker exited with status|error during connect.*docker",
    re.IGNORECASE,
)


def pip_name(module: str) -> str:
    """The PyPI distribution of a missing module: ``aws_cdk.aws_lambda_python_alpha`` ->
    ``aws-cdk.aws-lambda-python-alpha``, ``cdk_nag`` -> ``cdk-nag``."""
    parts = module.split(".")
    if parts[0] == "aws_cdk" and len(parts) > 1:
        return "aws-cdk." + parts[1].replace("_", "-")
    return parts[0].replace("_", "-")


_REGION_NEEDED = re.compile(
    r"CrossRegionReferencesRequireExplicitRegion|requires an explicit region|"
    r"Cross stack references are only supported for stacks deployed to the same environment|"
    r"Unable to determine the default AWS region",
    re.IGNORECASE,
)
# NodejsFunction bundles with esbuild when the app has it, else in Docker (the command it runs
# there names esbuild)
_NO_ESBUILD_DOCKER = re.compile(r"esbuild", re.IGNORECASE)
_PNPM_SWITCH = re.compile(r"packageManager|Corepack|ERR_PNPM_[A-Z_]*VERSION", re.IGNORECASE)


def synth_hint(output: str, app_dir: Path | None = None) -> str | None:
    """The fixing command for a known synthesis failure in ``output``, else None. ``app_dir``:
    the app folder, to tell the app's own modules from packages to install."""
    env = _CDK_ENV.search(output)
    if env or _REGION_NEEDED.search(output):
        if not env:
            return (
                "the app needs the stack's region (cross-region references, or an environment "
                "from CDK_DEFAULT_REGION), which the CDK CLI sets from your AWS configuration "
                "and iacscan does not: set it for the scan, e.g. `CDK_DEFAULT_ACCOUNT="
                "123456789012 CDK_DEFAULT_REGION=us-east-1 iacscan ...`, then scan again"
            )
        return (
            f"the app reads {env.group(1)}, which the CDK CLI sets from your AWS configuration "
            "and iacscan does not (it runs the app without the CLI and without credentials): "
            "set it for the scan, e.g. `CDK_DEFAULT_ACCOUNT=123456789012 "
            "CDK_DEFAULT_REGION=us-east-1 iacscan ...` (any account id will do: it only names "
            "the environment), then scan again"
        )
    if _DOCKER.search(output) and _NO_ESBUILD_DOCKER.search(output):
        return (
            "a NodejsFunction bundles with Docker because esbuild is not installed in the app: "
            "run `npm install --save-dev esbuild` in the app folder (or start Docker), then "
            "scan again"
        )
    if _DOCKER.search(output):
        return (
            "a construct of the app bundles an asset with Docker, which is missing or not "
            "running here; iacscan already asks CDK to skip bundling (it sets the context key "
            "aws:cdk:bundling-stacks to []) but this construct bundles anyway: start "
            "Docker (`docker info` must work), or turn the app's own bundling off through its "
            "context in cdk.json, or run `cdk synth` where Docker runs and scan cdk.out with "
            "--no-synth"
        )
    py = _PY_MODULE.search(output)
    if py:
        module = py.group(1)
        top = module.split(".")[0]
        if app_dir is not None and ((app_dir / top).is_dir() or (app_dir / f"{top}.py").is_file()):
            return (
                f"the app imports {module}, but the app's own {top} has no such module (a file "
                "renamed or missing in the app folder); the app fails the same way under "
                "`cdk synth`: fix the import, then scan again"
            )
        return (
            f"the app imports {module}, which is not installed for the python3 that runs it: "
            f"run `pip install -r requirements.txt` (or `pip install {pip_name(module)}`) in "
            "the app's virtualenv and activate it (its python3 must come first on PATH), then "
            "scan again"
        )
    node = _NODE_MODULE.search(output)
    if node and node.group(1).startswith(("./", "../", "/")):
        return (
            f"the app requires {node.group(1)}, a file of its own that is not there (one the "
            "repository ignores, such as an .env file, or one a build step makes): create it "
            "as the app's README says, then scan again; `npm ci` does not make it"
        )
    if _PNPM_SWITCH.search(output) and "pnpm" in output:
        return (
            "pnpm tried to switch to the version package.json's packageManager names, which "
            "needs the network: set npm_config_manage_package_manager_versions=false for the "
            "scan, or install that pnpm version, then scan again"
        )
    if node or _NPX_REFUSED.search(output):
        what = f"cannot find {node.group(1)}" if node else "npx would have to download packages"
        return (
            f"the app's node_modules are missing or incomplete ({what}): run `npm ci` in the "
            "app folder (it installs exactly what package-lock.json lists; `npm install` without "
            "a lock file), then scan again"
        )
    return None
