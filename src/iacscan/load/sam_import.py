"""Importing the SAM translator without paying for what a translation may never use.

aws-sam-translator imports boto3 and botocore at module level (``from boto3 import Session``,
``from botocore.exceptions import ClientError``...), about 70 ms of CPU for a library iacscan
never calls on its offline path: the translator gets an offline session, feature toggle and SAR
client creator (``load/sam.py``). It also imports jsonschema (about 26 ms) for one use: every
translation checks the translator's own bundled ``policy_templates.json`` against its own
``schema.json`` (``PolicyTemplatesProcessor.__init__``). iacscan builds that plugin from the
same bundled file without the self-check (``bundled_policy_templates_plugin``; the check is run
on the installed translator by tests/test_sam_import.py). And ``model/sam_resources.py`` imports
five of its schema-model modules (pydantic v1 classes, about 55 ms) that only a few resource
types use when translated (a function's ``CapacityProviderConfig``, ``GraphQLApi``,
``CapacityProvider``, ``NetworkConnector``, ``MicroVMImage``). While the translator's modules are
imported, and only then:

* an ``import`` of boto3/botocore/jsonschema *by a samtranslator module, in the importing
  thread* gets a stand-in: a module (``import boto3``) or a class (``from botocore.config
  import Config``) that loads the real modules the moment anything uses it (an attribute, a
  call, an ``isinstance``). ``sys.modules`` is never touched: any other ``import boto3``,
  before, during (another thread) or after, gets the real one.
* ``from samtranslator.internal.schema_source import aws_serverless_function, ...`` gets a
  stand-in module for each of those five; a class named from it while the translator is
  imported (in an annotation) is a stand-in class. The real module is imported the moment the
  translator uses one (``aws_serverless_function.CapacityProviderConfig.parse_obj(...)``).
* When a real module loads, every samtranslator module global that holds its stand-in is
  rebound to the real object, so ``except ClientError`` in the translator catches real
  botocore errors (the stand-in exception classes match nothing, and nothing can raise a real
  botocore error before the real modules are loaded: only a real client raises one).
* Anything this does not expect (another boto name, another schema module, a stand-in used
  during the import, any error) abandons the deferral: the samtranslator modules imported so
  far are dropped and imported again normally. With boto3 or jsonschema already imported, the
  translator is imported normally.

tests/test_sam_import.py checks that every ``fixtures/sam`` template and every template that
uses a schema model translates identically with and without the deferral and the bundled
plugin, that a SAM scan never loads boto3, jsonschema or an unused schema model, and that the
translator's SAR path (real boto3, real ``ClientError``) still works.
"""

from __future__ import annotations

import builtins
import importlib
import sys
import threading
import types
from collections.abc import Mapping, Sequence
from typing import Any

# The translator modules iacscan uses (load/sam.py); importing them imports the rest.
TRANSLATOR_MODULES = (
    "samtranslator.model.exceptions",
    "samtranslator.parser.parser",
    "samtranslator.plugins.application.serverless_app_plugin",
    "samtranslator.translator.translator",
    "samtranslator.utils.py27hash_fix",
)
# What aws-sam-translator 1.x imports from boto3 and botocore at module level.
DEFERRED_MODULES = frozenset(
    {
        "boto3",
        "botocore",
        "botocore.client",
        "botocore.config",
        "botocore.exceptions",
        "jsonschema",
        "jsonschema.exceptions",
    }
)
DEFERRED_ROOTS = frozenset(name.partition(".")[0] for name in DEFERRED_MODULES)
# The translator's schema models (pydantic v1 classes, ~55 ms of CPU to build): the resources
# that use them when translated are a function with a CapacityProviderConfig, a GraphQLApi, a
# CapacityProvider, a NetworkConnector and a MicroVMImage. ``model/sam_resources.py`` imports
# them at module level (``from samtranslator.internal.schema_source import
# aws_serverless_function, ...``) and names their classes in annotations.
SCHEMA_PACKAGE = "samtranslator.internal.schema_source"
DEFERRED_SCHEMAS = frozenset(
    f"{SCHEMA_PACKAGE}.{name}"
    for name in (
        "aws_serverless_capacity_provider",
        "aws_serverless_function",
        "aws_serverless_graphqlapi",
        "aws_serverless_microvmimage",
        "aws_serverless_networkconnector",
    )
)
DEFERRED_NAMES = frozenset(
    {
        ("boto3", "Session"),
        ("botocore.client", "BaseClient"),
        ("botocore.config", "Config"),
        ("botocore.exceptions", "ClientError"),
        ("botocore.exceptions", "EndpointConnectionError"),
        ("jsonschema.exceptions", "ValidationError"),
    }
)

# Build the policy-templates plugin without the translator's self-check of its bundled file
# (tests turn it off to compare with the translator's own plugin).
TRUST_BUNDLED_POLICY_TEMPLATES = True

_lock = threading.RLock()
_window_open = False
_abandoned = False  # something unexpected met during the window, even if the import caught it
_bindings: list[dict[str, Any]] = []  # globals of the samtranslator modules given a stand-in
_schema_bindings: list[dict[str, Any]] = []  # ... given a schema module's stand-in
_stubs: dict[str, DeferredModule] = {}
_real: dict[str, types.ModuleType] | None = None
_schemas: dict[str, types.ModuleType] = {}  # deferred schema modules loaded since


class _Undeferrable(Exception):
    """The translator imported something the deferral does not expect: import it normally.
    (Not an ImportError: the translator must not mistake it for a missing optional module.
    A translator module that catches it anyway, ``except Exception`` around an optional import,
    still abandons the deferral: ``_undeferrable`` records it.)"""


def _undeferrable(what: str) -> _Undeferrable:
    global _abandoned
    if _window_open:
        _abandoned = True
    return _Undeferrable(what)


class DeferredModule(types.ModuleType):
    """Stands for a deferred module (boto3, botocore, jsonschema, a schema module) in the
    translator's globals until the real one loads."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if _window_open:
            sub = f"{self.__name__}.{name}"
            if sub in DEFERRED_MODULES:
                return _stub(sub)
            if (self.__name__, name) in DEFERRED_NAMES:
                return _placeholder(self.__name__, name)
            if self.__name__ in DEFERRED_SCHEMAS and name[:1].isupper():
                # a schema class named in an annotation while the translator is imported
                return _placeholder(self.__name__, name)
            raise _undeferrable(f"{self.__name__}.{name}")
        return getattr(_real_module(self.__name__), name)


class DeferredClass(type):
    """Stands for a deferred class (``Session``, ``ClientError``, ``ValidationError``...); calling
    it, its attributes and ``isinstance`` use the real class. A subclass of Exception, so that ``except (ClientError, ...)`` can be
    evaluated before the real modules are loaded (it then matches nothing, as nothing can have
    raised a real one)."""

    deferred_from: str
    deferred_name: str

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> None:
        super().__init__(name, bases, namespace)
        if "deferred_name" not in namespace:
            # ``class X(ClientError)`` in the translator: calling X would build the real base
            # class, never an X. Only the real base will do.
            if _window_open:
                raise _undeferrable(f"a subclass of {name}'s base")
            raise TypeError(f"{name}: a class cannot derive from a deferred boto3 stand-in")

    def real(cls) -> Any:
        return getattr(_real_module(cls.deferred_from), cls.deferred_name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(cls.real(), name)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.real())

    def __subclasscheck__(cls, subclass: Any) -> bool:
        return issubclass(subclass, cls.real())


_placeholders: dict[tuple[str, str], DeferredClass] = {}


def _stub(name: str) -> DeferredModule:
    if name not in _stubs:
        module = DeferredModule(name)
        if "." not in name:
            module.__path__ = []  # a package, as the real one
        _stubs[name] = module
    return _stubs[name]


def _placeholder(module: str, name: str) -> DeferredClass:
    key = (module, name)
    if key not in _placeholders:
        cls = DeferredClass(
            name,
            (Exception,),
            {"deferred_from": module, "deferred_name": name, "__module__": module},
        )
        _placeholders[key] = cls
    return _placeholders[key]


def _real_module(name: str) -> types.ModuleType:
    return load_schema(name) if name in DEFERRED_SCHEMAS else load_real()[name]


def load_schema(name: str) -> types.ModuleType:
    """Import a deferred schema module and rebind the translator's globals to it."""
    with _lock:
        module = _schemas.get(name)
        if module is None:
            if _window_open:
                raise _undeferrable(f"{name} used while the translator is imported")
            module = importlib.import_module(name)
            stub = _stubs.get(name)
            for namespace in _schema_bindings:
                for key, value in list(namespace.items()):
                    if value is stub:
                        namespace[key] = module
            _schemas[name] = module
        return module


def deferred_schemas() -> list[str]:
    """The schema modules the translator was given a stand-in for and has not used yet."""
    with _lock:
        return sorted(n for n in _stubs if n in DEFERRED_SCHEMAS and n not in _schemas)


def load_real() -> dict[str, types.ModuleType]:
    """Import the real boto3 and botocore modules and rebind the translator's globals to them."""
    global _real
    with _lock:
        if _real is None:
            if _window_open:
                raise _undeferrable("boto3 used while the translator is imported")
            modules = {name: importlib.import_module(name) for name in sorted(DEFERRED_MODULES)}
            for namespace in _bindings:
                for key, value in list(namespace.items()):
                    if isinstance(value, DeferredModule) and value.__name__ in modules:
                        namespace[key] = modules[value.__name__]
                    elif isinstance(value, DeferredClass) and value.deferred_from in modules:
                        namespace[key] = getattr(modules[value.deferred_from], value.deferred_name)
            _real = modules
        return _real


def is_deferred() -> bool:
    """The translator is imported with stand-ins that have not loaded the real boto3 yet."""
    return bool(_bindings) and _real is None


def import_translator() -> None:
    """Import the translator modules iacscan uses, with boto3 and botocore deferred."""
    with _lock:
        if is_deferred() and _real_loaded_elsewhere():
            load_real()  # someone imported boto3 since: the translator gets the real classes
        if all(name in sys.modules for name in TRANSLATOR_MODULES):
            return
        if _real_loaded_elsewhere() or any(n.startswith("samtranslator.") for n in sys.modules):
            _import_plainly()
        else:
            try:
                _import_deferred()
            except Exception:  # noqa: BLE001  _Undeferrable, or a stand-in failing a use the
                # deferral did not foresee (``Properties.__fields__`` at import time): the
                # modules imported so far are dropped, and the translator is imported plainly
                _import_plainly()
        if TRUST_BUNDLED_POLICY_TEMPLATES:
            use_bundled_policy_templates()


def _real_loaded_elsewhere() -> bool:
    return any(root in sys.modules for root in DEFERRED_ROOTS)


def _import_plainly() -> None:
    for name in TRANSLATOR_MODULES:
        importlib.import_module(name)


def _import_deferred() -> None:
    global _window_open, _abandoned
    before = set(sys.modules)
    real_import = builtins.__import__
    owner = threading.get_ident()

    def deferring_import(
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        if (
            _window_open  # inert once the window closed, even if another hook still calls it
            and level == 0
            and (name.partition(".")[0] in DEFERRED_ROOTS or name == SCHEMA_PACKAGE)
            and threading.get_ident() == owner
            and isinstance(globals, dict)
            and str(globals.get("__name__", "")).startswith("samtranslator.")
        ):
            if name == SCHEMA_PACKAGE:
                real_import(name, globals, locals, (), level)  # the package itself is cheap
                return _deferred_schema_import(name, globals, fromlist)
            return _deferred_import(name, globals, fromlist)
        return real_import(name, globals, locals, fromlist, level)

    _abandoned = False
    try:
        builtins.__import__ = deferring_import
        _window_open = True
        _import_plainly()
        if _abandoned:  # a translator module caught the _Undeferrable raised for it
            raise _Undeferrable("an unexpected use of boto3, caught by the translator")
    except BaseException:
        _window_open = False
        _bindings.clear()
        _schema_bindings.clear()
        for name in set(sys.modules) - before:
            if name.startswith("samtranslator."):
                del sys.modules[name]
        raise
    finally:
        _window_open = False
        if builtins.__import__ is deferring_import:
            builtins.__import__ = real_import
    if _real_loaded_elsewhere():
        load_real()  # another thread imported boto3 meanwhile


def _deferred_import(
    name: str, namespace: dict[str, Any], fromlist: Sequence[str] | None
) -> types.ModuleType:
    if name not in DEFERRED_MODULES:
        raise _undeferrable(name)
    if not any(namespace is seen for seen in _bindings):
        _bindings.append(namespace)
    # ``from botocore.config import Config`` binds from the module itself; ``import
    # botocore.config`` binds the top package (as the real import statement does)
    return _stub(name) if fromlist else _stub(name.partition(".")[0])


def _deferred_schema_import(
    name: str, namespace: dict[str, Any], fromlist: Sequence[str] | None
) -> types.ModuleType:
    # ``from samtranslator.internal.schema_source import aws_serverless_function, ...``: the
    # statement takes each name from what this returns. Anything else is imported as it was.
    wanted = [f"{name}.{sub}" for sub in fromlist or ()]
    if not wanted or any(sub not in DEFERRED_SCHEMAS for sub in wanted):
        raise _undeferrable(f"{name} {list(fromlist or ())}")
    if not any(namespace is seen for seen in _schema_bindings):
        _schema_bindings.append(namespace)
    view = types.ModuleType(name)
    for sub in wanted:
        setattr(view, sub.rpartition(".")[2], _stub(sub))
    return view


def bundled_policy_templates_plugin() -> Any:
    """The translator's policy-templates plugin (``make_policy_template_for_function_plugin``)
    built from the same bundled ``policy_templates.json``, without validating that file against
    the translator's own schema on every translation."""
    from samtranslator.plugins.policies.policy_templates_plugin import (
        PolicyTemplatesForResourcePlugin,
    )
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor
    from samtranslator.policy_template_processor.template import Template

    data = PolicyTemplatesProcessor.get_default_policy_templates_json()
    processor = PolicyTemplatesProcessor.__new__(PolicyTemplatesProcessor)
    processor.policy_templates = {
        name: Template.from_dict(name, value)
        for name, value in data["Templates"].items()
    }
    return PolicyTemplatesForResourcePlugin(processor)


# The names the translator's factory and processor constructor use (aws-sam-translator 1.x):
# ``bundled_policy_templates_plugin`` does what they do but the self-check. A translator whose
# factory or constructor uses other names may do more than that: its own factory is kept.
_FACTORY_NAMES = (
    "PolicyTemplatesProcessor",
    "get_default_policy_templates_json",
    "PolicyTemplatesForResourcePlugin",
)
_PROCESSOR_INIT_NAMES = (
    "PolicyTemplatesProcessor",
    "_is_valid_templates_dict",
    "policy_templates",
    "items",
    "Template",
    "from_dict",
)


def _names(function: Any) -> tuple[str, ...] | None:
    code = getattr(function, "__code__", None)
    return tuple(code.co_names) if code is not None else None


def bundled_plugin_fits(translator: types.ModuleType) -> bool:
    """Whether this translator builds its policy-templates plugin as
    ``bundled_policy_templates_plugin`` does, the self-check apart."""
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

    factory = getattr(translator, "make_policy_template_for_function_plugin", None)
    return (
        _names(factory) == _FACTORY_NAMES
        and _names(PolicyTemplatesProcessor.__init__) == _PROCESSOR_INIT_NAMES
    )


def use_bundled_policy_templates() -> None:
    """Have the translator build its policy-templates plugin with ``bundled_policy_templates_plugin``
    (the translator module's factory is swapped; a translator whose factory or processor does
    anything else, or has none, is left alone)."""
    from samtranslator.translator import translator

    global _translators_factory
    current = getattr(translator, "make_policy_template_for_function_plugin", None)
    if current is bundled_policy_templates_plugin:
        return  # swapped already
    if bundled_plugin_fits(translator):
        _translators_factory = current
        translator.make_policy_template_for_function_plugin = bundled_policy_templates_plugin


def translators_policy_factory() -> Any:
    """The translator's own ``make_policy_template_for_function_plugin``, swapped or not."""
    from samtranslator.translator import translator

    current = getattr(translator, "make_policy_template_for_function_plugin", None)
    return _translators_factory if current is bundled_policy_templates_plugin else current


_translators_factory: Any = None
