"""The translator imported with boto3 deferred (load/sam_import.py): same translations, boto3
never loaded by a SAM scan, and the real boto3 (and its exception classes) the moment the
translator uses it. Each case runs in a fresh interpreter: what is imported is the point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAM = ROOT / "fixtures" / "sam"
# templates whose translation uses the translator's schema models (CapacityProviderConfig,
# CapacityProvider, GraphQLApi, one the models refuse)
SCHEMA_MODELS = ROOT / "tests" / "data" / "sam_schema_models"

# Loads every fixtures/sam template and prints a fingerprint of everything the loader gives
# (values with their container types and lines, origins, lines, attachments, errors).
FINGERPRINT = r"""
import json, sys
from pathlib import Path
if sys.argv[1] == "boto3-first":
    import boto3, botocore.exceptions  # the translator is then imported as it always was
elif sys.argv[1] == "original":  # as the translator does it: its own policy-templates plugin
    import boto3, botocore.exceptions, jsonschema
    import iacscan.load.sam_import as si
    si.TRUST_BUNDLED_POLICY_TEMPLATES = False
elif sys.argv[1] == "unexpected-name":
    import iacscan.load.sam_import as si  # the translator imports a name the deferral lacks
    si.DEFERRED_NAMES = si.DEFERRED_NAMES - {("botocore.config", "Config")}
elif sys.argv[1] == "unexpected-schema":
    import iacscan.load.sam_import as si  # ... a schema module the deferral does not know
    si.DEFERRED_SCHEMAS = si.DEFERRED_SCHEMAS - {si.SCHEMA_PACKAGE + ".aws_serverless_function"}
from iacscan.load.discover import SynthOptions, load_paths
from iacscan.load import sam_import
from iacscan.model import line_of

def deep(v):
    if isinstance(v, dict):
        return [type(v).__name__, line_of(v), [[deep(k), deep(x)] for k, x in v.items()]]
    if isinstance(v, list):
        return [type(v).__name__, line_of(v), [deep(x) for x in v]]
    return [type(v).__name__, line_of(v), repr(v)]

out = {}
for f in sorted(Path(sys.argv[2]).rglob("*.yaml")):
    loaded = load_paths([str(f)], parallel=False, synth=SynthOptions(use_cache=False))
    out[str(f)] = {
        "errors": [repr(e) for e in loaded.errors],
        "templates": [repr(t) for t in loaded.templates],
        "values": [
            deep({k: [r.properties, r.metadata, r.line, r.origin] for k, r in t.resources.items()})
            for t in loaded.templates
        ],
    }
schema_models = sorted(
    n.rpartition(".")[2] for n in sys.modules
    if n.startswith("samtranslator.internal.schema_source.aws_serverless_")
)
rebound = []
if schema_models:  # the translator's globals now hold the real modules it used
    from samtranslator.model import sam_resources
    rebound = sorted(
        name for name in schema_models if getattr(sam_resources, name, None) is sys.modules.get(
            "samtranslator.internal.schema_source." + name)
    )
print(json.dumps({
    "fingerprint": out,
    "schema_models": schema_models,
    "rebound": rebound,
    "boto3": "boto3" in sys.modules,
    "botocore": "botocore" in sys.modules,
    "jsonschema": "jsonschema" in sys.modules,
    "deferred": sam_import.is_deferred(),
}))
"""


def run(code: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONHASHSEED="0")  # some API deployment ids follow the hash seed
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_every_fixture_translates_the_same_with_and_without_the_deferral() -> None:
    deferred = run(FINGERPRINT, "deferred", str(SAM))
    plain = run(FINGERPRINT, "boto3-first", str(SAM))
    fallback = run(FINGERPRINT, "unexpected-name", str(SAM))
    original = run(FINGERPRINT, "original", str(SAM))
    # a SAM scan never loads boto3 or jsonschema; with boto3 imported first there is nothing to
    # defer; an import the deferral does not expect makes it import the translator as it always
    # was; "original" also builds the translator's own policy-templates plugin
    assert (deferred["boto3"], deferred["botocore"], deferred["deferred"]) == (False, False, True)
    assert deferred["jsonschema"] is False
    assert deferred["schema_models"] == []  # no fixture uses one
    assert (plain["boto3"], plain["deferred"]) == (True, False)
    assert set(plain["schema_models"]) >= ALL_SCHEMA_MODELS
    assert (fallback["boto3"], fallback["deferred"]) == (True, False)
    assert (original["jsonschema"], original["deferred"]) == (True, False)
    assert len(deferred["fingerprint"]) >= 10
    assert any(v["templates"] for v in deferred["fingerprint"].values())
    policies = SAM / "globals_alias.yaml"  # S3ReadPolicy, DynamoDBCrudPolicy... in its functions
    assert "S3ReadPolicy" in policies.read_text() and str(policies) in deferred["fingerprint"]
    assert deferred["fingerprint"] == original["fingerprint"]
    assert plain["fingerprint"] == original["fingerprint"]
    assert fallback["fingerprint"] == original["fingerprint"]


ALL_SCHEMA_MODELS = {
    "aws_serverless_capacity_provider",
    "aws_serverless_function",
    "aws_serverless_graphqlapi",
    "aws_serverless_microvmimage",
    "aws_serverless_networkconnector",
}


def test_templates_that_use_a_schema_model_translate_the_same_with_and_without_the_deferral() -> (
    None
):
    deferred = run(FINGERPRINT, "deferred", str(SCHEMA_MODELS))
    plain = run(FINGERPRINT, "boto3-first", str(SCHEMA_MODELS))
    fallback = run(FINGERPRINT, "unexpected-schema", str(SCHEMA_MODELS))
    prints = deferred["fingerprint"]
    assert len(prints) == 3
    capacity = prints[str(SCHEMA_MODELS / "capacity_provider.yaml")]
    graphql = prints[str(SCHEMA_MODELS / "graphql_api.yaml")]
    refused = prints[str(SCHEMA_MODELS / "graphql_api_invalid.yaml")]
    assert capacity["errors"] == [] and graphql["errors"] == []
    # what the translator makes of them (the provider's operator role, the resolver)
    assert "'ProviderOperatorRole'" in json.dumps(capacity["values"])
    assert "'ApiQuerygetItem'" in json.dumps(graphql["values"])
    assert "Auth.Type" in refused["errors"][0]
    # the models those templates use were imported when used, and only those; the translator's
    # globals were rebound to them
    used = {"aws_serverless_capacity_provider", "aws_serverless_function",
            "aws_serverless_graphqlapi"}
    assert used <= set(deferred["schema_models"])
    assert not {"aws_serverless_microvmimage", "aws_serverless_networkconnector"} & set(
        deferred["schema_models"]
    )
    assert set(deferred["rebound"]) == used
    assert deferred["deferred"] is True  # boto3 still deferred: the fallback did not happen
    assert set(fallback["schema_models"]) >= ALL_SCHEMA_MODELS and fallback["deferred"] is False
    assert deferred["fingerprint"] == plain["fingerprint"]
    assert fallback["fingerprint"] == plain["fingerprint"]


def test_the_bundled_policy_templates_plugin_is_the_translators_own() -> None:
    """What the translator builds on every translation, including the self-check iacscan skips:
    the bundled policy templates pass the translator's schema, and the plugin iacscan builds
    holds the same templates, attribute for attribute."""
    from samtranslator.plugins.policies.policy_templates_plugin import (
        PolicyTemplatesForResourcePlugin,
    )
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

    from iacscan.load.sam_import import bundled_policy_templates_plugin, translators_policy_factory

    bundled = PolicyTemplatesProcessor.get_default_policy_templates_json()
    assert PolicyTemplatesProcessor._is_valid_templates_dict(bundled)  # the check skipped
    factory = translators_policy_factory()  # the translator's own, also after a scan swapped it
    assert factory is not bundled_policy_templates_plugin
    theirs = factory()
    ours = bundled_policy_templates_plugin()
    assert type(ours) is type(theirs) is PolicyTemplatesForResourcePlugin
    assert set(vars(ours)) == set(vars(theirs))
    p_theirs, p_ours = theirs._policy_template_processor, ours._policy_template_processor
    assert set(vars(p_ours)) == set(vars(p_theirs))
    assert len(p_theirs.policy_templates) > 50
    assert p_ours.policy_templates.keys() == p_theirs.policy_templates.keys()
    for name, template in p_theirs.policy_templates.items():
        assert vars(p_ours.policy_templates[name]) == vars(template), name


# The translator's own Serverless Application Repository path (iacscan never takes it: it turns
# applications into nested stacks first): the region check loads the real boto3, and the
# plugin's `except ClientError` must catch a real botocore ClientError.
SAR = r"""
import json, sys
if sys.argv[1] == "boto3-first":
    import boto3
from iacscan.load import sam_import
sam_import.import_translator()
before = {"boto3": "boto3" in sys.modules, "deferred": sam_import.is_deferred()}
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.plugins.application import serverless_app_plugin
from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
from samtranslator.translator.translator import Translator

class Session:
    region_name = "us-east-1"

class Client:
    def create_cloud_formation_template(self, **kwargs):
        from botocore.exceptions import ClientError
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no access"}}, "Create")

template = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {"App": {"Type": "AWS::Serverless::Application", "Properties": {
        "Location": {"ApplicationId": "arn:aws:serverlessrepo:us-east-1:1:applications/x",
                     "SemanticVersion": "1.0.0"}}}},
}
translator = Translator(None, Parser(), plugins=[ServerlessAppPlugin(sar_client_creator=Client)],
                        boto_session=Session())
try:
    translator.translate(template, parameter_values={})
    outcome = "translated"
except InvalidDocumentException as err:
    outcome = " | ".join(c.message for c in err.causes)
import botocore.exceptions
print(json.dumps({
    "before": before,
    "outcome": outcome,
    "real_class_bound": serverless_app_plugin.ClientError is botocore.exceptions.ClientError,
    "deferred_after": sam_import.is_deferred(),
}))
"""


def test_the_translators_sar_path_gets_the_real_boto3_and_catches_its_errors() -> None:
    deferred = run(SAR, "deferred")
    plain = run(SAR, "boto3-first")
    assert deferred["before"] == {"boto3": False, "deferred": True}
    assert plain["before"] == {"boto3": True, "deferred": False}
    assert "no access" in plain["outcome"]
    assert deferred["outcome"] == plain["outcome"]
    assert deferred["real_class_bound"] and plain["real_class_bound"]
    assert deferred["deferred_after"] is False


LATER_IMPORT = r"""
import json, sys, types
from iacscan.load import sam_import
sam_import.import_translator()
import boto3, botocore.exceptions  # someone else, later: the real modules
real = type(boto3) is types.ModuleType and hasattr(boto3, "__file__")
from samtranslator.plugins.application import serverless_app_plugin as plugin
stand_in = plugin.ClientError is not botocore.exceptions.ClientError
sam_import.import_translator()  # the next translation rebinds the translator to them
print(json.dumps({
    "real": real,
    "stand_in_before": stand_in,
    "rebound": plugin.ClientError is botocore.exceptions.ClientError and plugin.boto3 is boto3,
}))
"""


def test_a_later_import_of_boto3_gets_the_real_one() -> None:
    assert run(LATER_IMPORT) == {"real": True, "stand_in_before": True, "rebound": True}


# A translator module of another version, added to the samtranslator package for one run: what
# it does with boto3 at import time must leave it as a plain import would.
PROBE = r"""
import json, sys, tempfile
from pathlib import Path
folder = Path(tempfile.mkdtemp())
(folder / "iacscan_probe.py").write_text(sys.argv[1])
import samtranslator  # the package only (its __init__ holds the version)
samtranslator.__path__.append(str(folder))
from iacscan.load import sam_import
sam_import.TRANSLATOR_MODULES = (*sam_import.TRANSLATOR_MODULES, "samtranslator.iacscan_probe")
sam_import.import_translator()
import builtins
hook_kept = builtins.__import__.__name__ != "__import__"
from samtranslator import iacscan_probe as probe
import botocore.exceptions
print(json.dumps({"deferred": sam_import.is_deferred(), "result": probe.result(), "hook": hook_kept}))
"""

# ``except Exception`` around an optional import catches the deferral's refusal: the module
# would keep None where a plain import binds the real class.
CAUGHT = """
try:
    from botocore.exceptions import NoCredentialsError
except Exception:
    NoCredentialsError = None

def result():
    import botocore.exceptions
    return NoCredentialsError is botocore.exceptions.NoCredentialsError
"""

# A class derived from a stand-in would build instances of the real base class, not its own.
SUBCLASS = """
from botocore.exceptions import ClientError

class ProbeError(ClientError):
    pass

def result():
    return type(ProbeError({"Error": {"Code": "X", "Message": "m"}}, "Op")) is ProbeError
"""

# Another import hook installed during the window wraps the deferral's: the deferral's hook
# stays in the chain after the window, and must then defer nothing (here, an import made
# inside a function of a translator module, after the window).
WRAPPED = """
import builtins
_inner = builtins.__import__

def _other_hook(*args, **kwargs):
    return _inner(*args, **kwargs)

builtins.__import__ = _other_hook

def result():
    import importlib, sys
    importlib.import_module("botocore.exceptions")  # the real module (no hook on this path)
    import botocore  # through the hooks: must be that real module, not a stand-in
    return botocore is sys.modules["botocore"]
"""


# A schema class used at import time (not only named in an annotation): the stand-in cannot
# give its pydantic fields, so the deferral is abandoned and the module gets the real class.
SCHEMA_USED = """
from samtranslator.internal.schema_source import aws_serverless_function
FIELDS = aws_serverless_function.Properties.__fields__

def result():
    import sys
    real = sys.modules["samtranslator.internal.schema_source.aws_serverless_function"]
    return aws_serverless_function is real and FIELDS is real.Properties.__fields__
"""

# A helper taken from a schema module at import time (a lower-case name: not a class named in
# an annotation): abandoned too.
SCHEMA_HELPER = """
from samtranslator.internal.schema_source import aws_serverless_function
HELPER = aws_serverless_function.get_prop

def result():
    import sys
    real = sys.modules["samtranslator.internal.schema_source.aws_serverless_function"]
    return HELPER is real.get_prop
"""


def test_a_schema_model_used_while_the_translator_is_imported_abandons_the_deferral() -> None:
    assert run(PROBE, SCHEMA_USED) == {"deferred": False, "result": True, "hook": False}
    assert run(PROBE, SCHEMA_HELPER) == {"deferred": False, "result": True, "hook": False}


def test_an_unexpected_boto3_use_caught_by_the_translator_still_abandons_the_deferral() -> None:
    assert run(PROBE, CAUGHT) == {"deferred": False, "result": True, "hook": False}


def test_a_translator_class_derived_from_a_boto3_class_gets_the_real_base() -> None:
    assert run(PROBE, SUBCLASS) == {"deferred": False, "result": True, "hook": False}


def test_the_import_hook_is_inert_once_the_window_closed() -> None:
    got = run(PROBE, WRAPPED)
    assert got["hook"] is True  # the other hook (and the deferral's inside it) stayed
    assert got["result"] is True


def test_a_translator_whose_policy_processor_does_more_keeps_its_own_plugin(
    monkeypatch: Any,
) -> None:
    """The bundled plugin skips the processor's constructor; a translator version whose
    constructor (or factory) does anything else than 1.x's keeps its own factory."""
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor
    from samtranslator.translator import translator

    from iacscan.load import sam_import

    own = sam_import.translators_policy_factory()  # an earlier scan here may have swapped it
    assert own is not sam_import.bundled_policy_templates_plugin
    monkeypatch.setattr(translator, "make_policy_template_for_function_plugin", own)
    assert sam_import.bundled_plugin_fits(translator)  # the installed translator: swapped
    sam_import.use_bundled_policy_templates()
    assert translator.make_policy_template_for_function_plugin is (
        sam_import.bundled_policy_templates_plugin
    )
    monkeypatch.setattr(translator, "make_policy_template_for_function_plugin", own)
    original_init = PolicyTemplatesProcessor.__init__

    def newer_init(self: Any, templates: Any, schema: Any = None) -> None:
        original_init(self, templates, schema)
        self.index = {}  # what a later translator's constructor might add

    monkeypatch.setattr(PolicyTemplatesProcessor, "__init__", newer_init)
    assert not sam_import.bundled_plugin_fits(translator)
    sam_import.use_bundled_policy_templates()
    assert translator.make_policy_template_for_function_plugin is own
