"""driftguard: keep deployed models honest.

Calibrated drift checks, signals, a pure policy and an audited registry with rollback. The
names a library user needs are importable from here: train a model (:func:`train_table`),
register and promote it (:class:`Registry`), check a window against its reference profile
(:class:`DriftCheck`, :class:`ReferenceProfile`), turn the report into signals
(:meth:`DriftReport.signals`) and a decision (:func:`decide`, :func:`default_policy`,
:class:`PolicyState`), and roll back (:meth:`Registry.rollback`).

The names are loaded lazily (PEP 562): ``import driftguard`` imports none of its submodules,
and the first use of a name imports only the submodule that defines it, so nothing heavy
(torch, scikit-learn, pandas, the web service) is imported unless a name needs it.

Examples
--------
>>> import driftguard
>>> driftguard.__version__
'0.1.0'
>>> driftguard.decide.__module__
'driftguard.policy.decide'
>>> driftguard.no_such_name
Traceback (most recent call last):
...
AttributeError: module 'driftguard' has no attribute 'no_such_name'
"""

from __future__ import annotations

import importlib

# ``typing`` is not imported at run time (it costs more than the rest of this module); mypy
# treats a variable named TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from driftguard.checkpoint.folder import Checkpoint, read_checkpoint
    from driftguard.drift.check import DriftCheck
    from driftguard.drift.compare import compare_tables
    from driftguard.drift.profile import ReferenceProfile
    from driftguard.drift.profile_io import load_profile, save_profile
    from driftguard.drift.window import WindowCounts
    from driftguard.errors import (
        ConfigurationError,
        ConflictError,
        DriftguardError,
        EmptyDataError,
        IntegrityError,
        NoRollbackTargetError,
        NotFittedError,
        PolicyError,
        RegistryError,
        SchemaError,
        SerializationError,
        TrainingDataError,
        VersionNotFoundError,
    )
    from driftguard.guard.guard import Guard
    from driftguard.policy.decide import decide
    from driftguard.policy.loader import default_policy, load_policy
    from driftguard.policy.rules import Policy
    from driftguard.policy.state import Decision, PolicyState
    from driftguard.registry.registry import Registry
    from driftguard.schema.features import Schema, infer_schema
    from driftguard.serving.host import ModelHost
    from driftguard.training.config import TorchConfig
    from driftguard.training.pipeline import TrainedRun, train_table
    from driftguard.types import DriftReport, FeatureDrift, Signal

#: The package version; ``tests/test_front_door.py`` checks it equals pyproject's.
__version__ = "0.1.0"

__all__ = [
    "Checkpoint",
    "ConfigurationError",
    "ConflictError",
    "Decision",
    "DriftCheck",
    "DriftReport",
    "DriftguardError",
    "EmptyDataError",
    "FeatureDrift",
    "Guard",
    "IntegrityError",
    "ModelHost",
    "NoRollbackTargetError",
    "NotFittedError",
    "Policy",
    "PolicyError",
    "PolicyState",
    "ReferenceProfile",
    "Registry",
    "RegistryError",
    "Schema",
    "SchemaError",
    "SerializationError",
    "Signal",
    "TorchConfig",
    "TrainedRun",
    "TrainingDataError",
    "VersionNotFoundError",
    "WindowCounts",
    "__version__",
    "compare_tables",
    "decide",
    "default_policy",
    "infer_schema",
    "load_policy",
    "load_profile",
    "read_checkpoint",
    "save_profile",
    "train_table",
]

# Each lazily loaded name and the module that defines it.
_LAZY: dict[str, str] = {
    "Checkpoint": "driftguard.checkpoint.folder",
    "read_checkpoint": "driftguard.checkpoint.folder",
    "DriftCheck": "driftguard.drift.check",
    "compare_tables": "driftguard.drift.compare",
    "ReferenceProfile": "driftguard.drift.profile",
    "load_profile": "driftguard.drift.profile_io",
    "save_profile": "driftguard.drift.profile_io",
    "WindowCounts": "driftguard.drift.window",
    "ConfigurationError": "driftguard.errors",
    "ConflictError": "driftguard.errors",
    "DriftguardError": "driftguard.errors",
    "EmptyDataError": "driftguard.errors",
    "IntegrityError": "driftguard.errors",
    "NoRollbackTargetError": "driftguard.errors",
    "NotFittedError": "driftguard.errors",
    "PolicyError": "driftguard.errors",
    "RegistryError": "driftguard.errors",
    "SchemaError": "driftguard.errors",
    "SerializationError": "driftguard.errors",
    "TrainingDataError": "driftguard.errors",
    "VersionNotFoundError": "driftguard.errors",
    "Guard": "driftguard.guard.guard",
    "decide": "driftguard.policy.decide",
    "default_policy": "driftguard.policy.loader",
    "load_policy": "driftguard.policy.loader",
    "Policy": "driftguard.policy.rules",
    "Decision": "driftguard.policy.state",
    "PolicyState": "driftguard.policy.state",
    "Registry": "driftguard.registry.registry",
    "Schema": "driftguard.schema.features",
    "infer_schema": "driftguard.schema.features",
    "ModelHost": "driftguard.serving.host",
    "TorchConfig": "driftguard.training.config",
    "TrainedRun": "driftguard.training.pipeline",
    "train_table": "driftguard.training.pipeline",
    "DriftReport": "driftguard.types",
    "FeatureDrift": "driftguard.types",
    "Signal": "driftguard.types",
}


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use (PEP 562) and cache the name."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's own names plus every lazily loaded one."""
    return sorted(set(globals()) | set(__all__))
