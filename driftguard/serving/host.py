"""The set of models a service serves, kept in step with the registry's ACTIVE pointers.

:class:`ModelHost` holds one :class:`~driftguard.serving.loaded.LoadedModel` per name. A swap
is load-then-switch: the new version (model, validator, reference profile and monitor) is
loaded and verified first, then put in place with one dictionary assignment, then the old one
is released (requests that already hold it finish on it). Promote and rollback through the host
preload the target, move ACTIVE by compare-and-set, and swap before they return; changes made
by another process are picked up by :meth:`ModelHost.refresh`, which a watcher thread calls.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.errors import (
    ConflictError,
    DriftguardError,
    ModelUnavailableError,
    RegistryError,
    VersionNotFoundError,
)
from driftguard.metrics.state import HostState, ModelState
from driftguard.registry import ActiveState, Registry, Status
from driftguard.schema.validation import ValidatedBatch
from driftguard.serving.defender import Defender
from driftguard.serving.feedback import FeedbackStore, LoggedPrediction, PredictionLog
from driftguard.serving.loaded import LoadedModel, ModelOptions, load_model
from driftguard.serving.shadow import Shadow

__all__ = ["ModelHost"]

log = logging.getLogger("driftguard.serving")


class ModelHost:
    """Load, serve and hot-swap the ACTIVE version of every model in a registry.

    Parameters
    ----------
    registry : Registry
        Where versions and ACTIVE pointers live.
    options : ModelOptions
        Validation and monitoring options applied to every loaded version.
    names : sequence of str or None
        Serve only these names (default: every name in the registry, new ones included).
    pinned : int, default 4
        Non-active versions kept loaded for version-addressed inference (least recently
        used evicted).
    prediction_rows, feedback_rows : int
        Bounds of the prediction log and the feedback store.
    defender : Defender or None
        Probing, adversarial and poisoning defences (default: alert-only client policy).

    Examples
    --------
    >>> import tempfile
    >>> host = ModelHost(Registry(tempfile.mkdtemp()))
    >>> host.refresh(), host.ready
    ([], False)
    """

    def __init__(
        self,
        registry: Registry,
        options: ModelOptions | None = None,
        *,
        names: Sequence[str] | None = None,
        pinned: int = 4,
        prediction_rows: int = 100_000,
        feedback_rows: int = 100_000,
        defender: Defender | None = None,
    ) -> None:
        self.registry = registry
        self.options = options if options is not None else ModelOptions()
        self.names = tuple(names) if names else None
        self.pinned = pinned
        self.predictions = PredictionLog(prediction_rows)
        self.feedback = FeedbackStore(feedback_rows)
        self.defender = defender if defender is not None else Defender()
        self._active: dict[str, LoadedModel] = {}
        self._pinned: OrderedDict[tuple[str, int], LoadedModel] = OrderedDict()
        self._shadows: dict[str, Shadow] = {}
        self._lock = threading.RLock()
        self.swaps_: dict[str, int] = {}
        self.load_failures_: dict[str, int] = {}
        self.last_error_: dict[str, str] = {}

    @property
    def ready(self) -> bool:
        """``True`` once at least one model is loaded."""
        return bool(self._active)

    def loaded(self) -> list[LoadedModel]:
        """The ACTIVE loaded versions."""
        return list(self._active.values())

    def pinned_models(self) -> list[LoadedModel]:
        """Loaded non-active versions (version-addressed inference)."""
        return list(self._pinned.values())

    def _watched(self) -> list[str]:
        known = self.registry.names()
        return [n for n in known if n in self.names] if self.names else known

    def get(self, name: str) -> LoadedModel:
        """The loaded ACTIVE version of ``name``; a clear error when there is none."""
        found = self._active.get(name)
        if found is not None:
            return found
        if name not in self._watched():
            raise VersionNotFoundError(f"model {name!r} is not served here")
        if self.registry.active(name).version is None:
            raise ModelUnavailableError(f"model {name!r} has no ACTIVE version yet; promote one")
        detail = self.last_error_.get(name, "loading")
        raise ModelUnavailableError(f"model {name!r} is not loaded yet ({detail})")

    def get_version(self, name: str, version: int) -> LoadedModel:
        """A specific version: the ACTIVE one, a pinned one, or loaded now and pinned.

        A quarantined version is refused (RegistryError), even if it was pinned before.
        """
        active = self._active.get(name)
        if active is not None and active.version == version:
            return active
        key = (name, version)
        if name in self._watched():
            status = {v.version: v.status for v in self.registry.versions(name)}.get(version)
            if status == Status.QUARANTINED:
                self._pinned.pop(key, None)
                raise RegistryError(f"model {name!r} version {version} is quarantined; not served")
        with self._lock:
            found = self._pinned.get(key)
            if found is None:
                if name not in self._watched():
                    raise VersionNotFoundError(f"model {name!r} is not served here")
                generation = self.registry.active(name).generation
                found = self._load(name, version, generation)
                self._pinned[key] = found
                while len(self._pinned) > self.pinned:
                    self._pinned.popitem(last=False)
            self._pinned.move_to_end(key)
            return found

    def trusted(self, name: str) -> LoadedModel | None:
        """The version feedback is screened with (the trusted one).

        ACTIVE if it is known-good, else the newest known-good version (loaded and pinned),
        else ACTIVE itself (nothing better exists yet).
        """
        active = self._active.get(name)
        statuses = {v.version: v.status for v in self.registry.versions(name)}
        if active is not None and statuses.get(active.version) == Status.KNOWN_GOOD:
            return active
        good = [v for v, st in statuses.items() if st == Status.KNOWN_GOOD]
        if good:
            return self.get_version(name, max(good))
        return active

    def record(
        self, model: LoadedModel, batch: ValidatedBatch, proba: npt.NDArray[np.float64]
    ) -> str:
        """Hot path after a prediction: queue the rows for monitoring, log for feedback.

        The record step of :meth:`~driftguard.serving.request_path.RequestPath.score`, which
        is how requests should be scored; the new request id is returned.
        """
        request_id = os.urandom(16).hex()
        shadow = self._shadows.get(model.name)
        if shadow is not None and shadow.current_version == model.version:
            shadow.offer(batch, proba)
        if model.monitor is not None:
            model.monitor.observe(batch)
            self.predictions.add(
                LoggedPrediction(
                    request_id,
                    model.name,
                    model.version,
                    time.time(),
                    batch.columns,
                    proba,
                    model.labels,
                )
            )
        return request_id

    def _load(self, name: str, version: int, generation: int) -> LoadedModel:
        checkpoint = self.registry.open(name, version)
        return load_model(checkpoint, generation, self.options, name=name, version=version)

    def _swap(self, new: LoadedModel, promoted: bool) -> None:
        old = self._active.get(new.name)
        self._active[new.name] = new
        self._pinned.pop((new.name, new.version), None)
        self._shadows.pop(new.name, None)
        if old is not None:
            self.swaps_[new.name] = self.swaps_.get(new.name, 0) + 1
            log.info("model %s: version %s -> %s", new.name, old.version, new.version)
            if promoted and self.options.shadow_rows > 0:
                self._shadows[new.name] = Shadow(
                    old,
                    new.version,
                    new.labels,
                    max_rows=self.options.shadow_rows,
                    max_disagreement=self.options.shadow_max_disagreement,
                )

    def shadow(self, name: str) -> Shadow | None:
        """The shadow comparison of ``name``'s newly promoted version, if one runs."""
        return self._shadows.get(name)

    def process_shadows(self) -> int:
        """Background: let previous versions score their queued rows; rows compared."""
        return sum(shadow.process() for shadow in list(self._shadows.values()))

    def refresh(self) -> list[str]:
        """Load and swap in every ACTIVE version that changed; return the names swapped."""
        swapped = []
        with self._lock:
            for name in self._watched():
                state = self.registry.active(name)
                current = self._active.get(name)
                if state.version is None:
                    continue
                if current is not None and current.version == state.version:
                    if current.generation != state.generation:
                        self._active[name] = dataclasses.replace(
                            current, generation=state.generation
                        )
                    continue
                try:
                    new = self._load(name, state.version, state.generation)
                except DriftguardError as exc:
                    self.load_failures_[name] = self.load_failures_.get(name, 0) + 1
                    self.last_error_[name] = f"version {state.version} failed to load: {exc}"
                    log.error("model %s: %s", name, self.last_error_[name])
                    continue
                self.last_error_.pop(name, None)
                self._swap(new, promoted=current is not None and new.version > current.version)
                swapped.append(name)
        return swapped

    def promote(self, name: str, version: int, *, actor: str, reason: str = "") -> ActiveState:
        """Preload ``version``, make it ACTIVE (compare-and-set) and swap it in."""
        with self._lock:
            before = self.registry.active(name)
            new = self._load(name, version, before.generation + 1)
            state = self.registry.promote(
                name, version, actor=actor, reason=reason, expected_generation=before.generation
            )
            self._install(new, state, promoted=True)
            return state

    def rollback(
        self,
        name: str,
        *,
        actor: str,
        reason: str = "",
        to: int | None = None,
        evidence: Mapping[str, Any] | None = None,
        expected_generation: int | None = None,
    ) -> ActiveState:
        """Preload the rollback target, move ACTIVE back (compare-and-set) and swap it in.

        With ``expected_generation`` (the generation the judged version was served under),
        a rollback decided on stale evidence raises ConflictError and changes nothing.
        """
        with self._lock:
            before = self.registry.active(name)
            if expected_generation is not None and expected_generation != before.generation:
                raise ConflictError(
                    f"model {name!r}: ACTIVE generation is {before.generation} (version "
                    f"{before.version}), not {expected_generation}; nothing was changed"
                )
            target = self.registry.rollback_target(name, to)
            new = self._load(name, target, before.generation + 1)
            state = self.registry.rollback(
                name,
                actor=actor,
                reason=reason,
                evidence=evidence,
                to=target,
                expected_generation=before.generation,
            )
            self._install(new, state, promoted=False)
            return state

    def _install(self, new: LoadedModel, state: ActiveState, promoted: bool) -> None:
        current = self._active.get(new.name)
        if current is not None and current.version == state.version:
            self._active[new.name] = dataclasses.replace(current, generation=state.generation)
            return
        self._swap(dataclasses.replace(new, generation=state.generation), promoted)

    def model_states(self) -> list[ModelState]:
        """Snapshots of every loaded version for the metrics collector."""
        out = []
        for role, models in (("active", self.loaded()), ("pinned", self.pinned_models())):
            for m in models:
                key = (m.name, m.version)
                dropped = {
                    "prediction_log": self.predictions.evicted_.get(key, 0),
                    "feedback_store": self.feedback.evicted_.get(key, 0),
                }
                out.append(m.state(role, dropped, self.feedback.received_.get(key, 0)))
        return out

    def host_state(self) -> HostState:
        """Counters that outlive a version (swaps and failed loads)."""
        return HostState(dict(self.swaps_), dict(self.load_failures_))

    def monitors(self) -> list[LoadedModel]:
        """Every loaded version that has a monitor (active first)."""
        return [m for m in (*self.loaded(), *self.pinned_models()) if m.monitor is not None]
