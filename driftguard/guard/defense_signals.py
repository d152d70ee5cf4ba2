"""Signals of the defences: adversarial rows, probing clients, poisoned feedback.

:class:`DefenseSignals` is a signal source of the guard, read once per evaluated window:

- ``adversarial_inputs`` (kind ``adversarial``): the share of recent rows whose conformal
  p-value is at most the scorer's ``alpha``. Under clean traffic that share is binomial with
  rate ``alpha`` (the conformal guarantee), so it breaches when a one-sided binomial test
  rejects at ``significance``; the threshold shown is the smallest share that would.
- ``probing_clients`` (kind ``adversarial``): clients flagged for probing; breach at one.
- ``poisoned_feedback`` (kind ``poisoning``): the share of recent screened feedback rows
  flagged by the trusted version, tested like ``adversarial_inputs`` against the screen's
  ``alpha``.
- ``quarantined_sources`` (kind ``poisoning``): feedback sources in quarantine; breach at one.

The same tests, as standalone detectors of the common contract
(:class:`~driftguard.detectors.protocol.Detector`), are
:class:`~driftguard.adversarial.flag_rate.AdversarialRate`,
:meth:`~driftguard.adversarial.probing.ProbeDetector.signals` and
:class:`~driftguard.poisoning.detector.PoisonedFeedback`; all share
:mod:`driftguard.stats.rates`.

Examples
--------
>>> rate_signal("x", "adversarial", n=1000, flagged=10, alpha=0.01).status
'ok'
>>> rate_signal("x", "adversarial", n=1000, flagged=40, alpha=0.01).status
'breach'
"""

from __future__ import annotations

from driftguard.serving import LoadedModel, ModelHost
from driftguard.stats.rates import count_signal, flag_rate_signal
from driftguard.types import Signal

__all__ = ["DefenseSignals", "rate_signal"]


#: A flag-rate signal tested against its clean rate ``alpha`` (one-sided binomial); the name
#: under which the guard has always exported :func:`~driftguard.stats.rates.flag_rate_signal`.
rate_signal = flag_rate_signal


class DefenseSignals:
    """Adversarial and poisoning signals of a served version.

    Parameters
    ----------
    host : ModelHost
        Where the defender and the loaded versions are.
    significance : float, default 1e-3
        Level of the binomial tests of the flag rates.

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.registry import Registry
    >>> DefenseSignals(ModelHost(Registry(tempfile.mkdtemp()))).significance
    0.001
    """

    def __init__(self, host: ModelHost, significance: float = 1e-3) -> None:
        self.host = host
        self.significance = significance

    def __call__(self, model: LoadedModel) -> tuple[Signal, ...]:
        """The defence signals that apply to ``model`` (none for a model without defences)."""
        out: list[Signal] = []
        scorer = model.defenses.scorer
        if scorer is not None:
            n, flagged = model.adversarial.recent()
            out.append(
                rate_signal(
                    "adversarial_inputs",
                    "adversarial",
                    n=n,
                    flagged=flagged,
                    alpha=float(scorer.alpha),
                    significance=self.significance,
                )
            )
        state = self.host.defender.state()
        if model.defenses.probe is not None and state.clients is not None:
            flagged_here = self.host.defender.clients.flagged_for(model.name)
            out.append(
                count_signal(
                    "probing_clients", "adversarial", flagged_here, model.adversarial.total_
                )
            )
        screen = model.defenses.screen
        counter = self.host.defender.feedback_flags(model.name, model.version)
        if screen is not None and counter is not None:
            n, flagged = counter.recent()
            out.append(
                rate_signal(
                    "poisoned_feedback",
                    "poisoning",
                    n=n,
                    flagged=flagged,
                    alpha=float(screen.alpha),
                    significance=self.significance,
                )
            )
            quarantined = len(state.quarantined_sources.get(model.name, ()))
            out.append(
                count_signal("quarantined_sources", "poisoning", quarantined, counter.total_)
            )
        return tuple(out)
