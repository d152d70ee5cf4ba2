"""The one contract every detector keeps: observe data, report signals, show its configuration.

A **detector** turns observations (rows, probabilities, labels, flags...) into
:class:`~driftguard.types.Signal` values that the policy reads. Whatever it watches, it keeps
the same three-method shape, in the manner of scikit-learn estimators and river detectors:

- ``update(...) -> self``: fold one batch of observations into the learned state (its
  arguments are the detector's own: probabilities and labels, rows, a client and its queries...).
  Returning ``self`` lets calls chain: ``det.update(a).update(b).signals()``.
- ``signals() -> tuple[Signal, ...]``: the current verdicts, never raising for lack of data:
  below the detector's minimum sample every signal has status ``insufficient_data`` (value
  ``None`` where there is nothing to measure), which the policy never counts as a breach.
- ``get_params() -> dict``: the constructor arguments, verbatim, so that
  ``type(det)(**det.get_params())`` is an unfitted copy with the same configuration.

Conventions that go with it: the constructor only stores configuration (arguments kept under
their own names, unchanged, and validated); everything learned from data lives in attributes
whose names end in ``_``; a detector with a random component takes a ``seed`` and gives equal
signals on equal input. :class:`SignalSource` is the read-only half for sources that are fed by
someone else (a guard's defence counters, say).

Both protocols are :func:`~typing.runtime_checkable`, so ``isinstance(det, Detector)`` checks
that the three methods exist (not their signatures; the conformance suite in
``tests/detectors/test_conformance.py`` checks the behaviour). Conformance is structural: a
class need not import this module to conform, which keeps layers that may not import
``driftguard.detectors`` (adversarial, poisoning) free to implement it.

Examples
--------
>>> import numpy as np
>>> from driftguard.detectors import CalibrationMonitor, Detector
>>> det = CalibrationMonitor(min_labels=10, n_resamples=99)
>>> isinstance(det, Detector)
True
>>> det.update(np.array([[0.7, 0.3]]), [0]).signals()[0].status
'insufficient_data'
>>> CalibrationMonitor(**det.get_params()).get_params() == det.get_params()
True
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol, Self, runtime_checkable

from driftguard.errors import ConfigurationError
from driftguard.types import Signal

__all__ = ["STATUSES", "Detector", "SignalSource", "check_signal", "constructor_params"]

#: Every status a signal may carry.
STATUSES = frozenset({"ok", "warn", "breach", "insufficient_data"})


@runtime_checkable
class SignalSource(Protocol):
    """Anything that reports monitoring signals.

    Examples
    --------
    >>> from driftguard.types import Signal
    >>> class Constant:
    ...     def signals(self) -> tuple[Signal, ...]:
    ...         return (Signal("x", "drift", 0.0, 1.0, "ok", 10),)
    >>> isinstance(Constant(), SignalSource)
    True
    """

    def signals(self) -> tuple[Signal, ...]:
        """The current signals (``insufficient_data`` below the minimum sample)."""
        ...


@runtime_checkable
class Detector(SignalSource, Protocol):
    """A signal source that learns from observations and exposes its configuration.

    Examples
    --------
    >>> from driftguard.detectors import PerformanceEstimator, SequentialDrift
    >>> isinstance(PerformanceEstimator(), Detector), isinstance(SequentialDrift(), Detector)
    (True, True)
    >>> isinstance(object(), Detector)
    False
    """

    def update(self, *args: Any, **kwargs: Any) -> Self:
        """Fold a batch of observations into the learned state; return ``self``."""
        ...

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim."""
        ...


def constructor_params(obj: object) -> dict[str, Any]:
    """``{name: obj.name}`` for every named parameter of ``type(obj).__init__``.

    The common implementation of ``get_params`` for classes that store every constructor
    argument under its own name.

    Examples
    --------
    >>> from driftguard.detectors import PerformanceEstimator
    >>> constructor_params(PerformanceEstimator(min_rows=5))["min_rows"]
    5
    """
    signature = inspect.signature(type(obj).__init__)
    names = [
        p.name
        for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return {name: getattr(obj, name) for name in names}


def check_signal(signal: Signal) -> Signal:
    """Return ``signal`` if its fields have the types and values the contract promises.

    ``name`` and ``kind`` are non-empty strings, ``value`` and ``threshold`` floats or
    ``None``, ``status`` one of :data:`STATUSES` (``value`` is ``None`` only with
    ``insufficient_data``) and ``samples`` a non-negative int. Raises
    :class:`~driftguard.errors.ConfigurationError` naming the first violation.

    Examples
    --------
    >>> check_signal(Signal("ece", "calibration", 0.02, 0.05, "ok", 500)).status
    'ok'
    >>> check_signal(Signal("ece", "calibration", 0.02, 0.05, "fine", 500))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    driftguard.errors.ConfigurationError: signal 'ece': status 'fine' is not one of ...
    """
    where = f"signal {signal.name!r}"
    for field in ("name", "kind"):
        text = getattr(signal, field)
        if not isinstance(text, str) or not text:
            raise ConfigurationError(f"{where}: {field} must be a non-empty string, got {text!r}")
    for field in ("value", "threshold"):
        number = getattr(signal, field)
        if number is not None and (isinstance(number, bool) or not isinstance(number, float)):
            raise ConfigurationError(f"{where}: {field} must be a float or None, got {number!r}")
    if signal.status not in STATUSES:
        raise ConfigurationError(
            f"{where}: status {signal.status!r} is not one of {sorted(STATUSES)}"
        )
    if signal.value is None and signal.status != "insufficient_data":
        raise ConfigurationError(f"{where}: no value, but status {signal.status!r}")
    samples = signal.samples
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        raise ConfigurationError(f"{where}: samples must be an int >= 0, got {samples!r}")
    return signal
