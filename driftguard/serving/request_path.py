"""One scoring request, start to end: admit → validate → predict → record → defend.

:meth:`RequestPath.score` is everything a prediction route does apart from HTTP: the caller
picks up a :class:`~driftguard.serving.loaded.LoadedModel` once (so the request is validated,
predicted and monitored by that version only, whatever swaps meanwhile) and hands over how
to parse its rows with the version's validator. The steps, in order:

1. **admit**: a client flagged for probing may be refused as the policy says
   (:class:`~driftguard.errors.RateLimitedError` or
   :class:`~driftguard.errors.ClientBlockedError`, both
   :class:`~driftguard.errors.ClientRefusedError`), before any work is done for it;
2. **validate**: the rows are parsed against the version's schema
   (:class:`~driftguard.errors.InvalidInputError` naming the field);
3. **predict**: one forward pass, with the adversarial scores when the version has a scorer;
4. **record**: the rows are queued for the drift monitor (and the shadow), the prediction is
   logged for feedback under a new request id (:meth:`ModelHost.record`);
5. **defend**: the client's encoded rows feed the version's probing detector
   (:meth:`Defender.observe`); a newly flagged client is refused from its next request on.

Examples
--------
>>> import tempfile
>>> from driftguard.registry import Registry
>>> path = RequestPath(ModelHost(Registry(tempfile.mkdtemp())))
>>> path.host.defender is path.defender
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.schema.validation import InputValidator, ValidatedBatch
from driftguard.serving.defender import Defender
from driftguard.serving.host import ModelHost
from driftguard.serving.loaded import LoadedModel, Served

__all__ = ["Parse", "RequestPath", "Scored"]

#: How a request's rows become a batch, given the version's validator.
Parse = Callable[[InputValidator], ValidatedBatch]

#: ``on_predict(model, seconds)``: told the duration of every model call (a latency metric).
PredictTimer = Callable[[LoadedModel, float], None]


@dataclass(frozen=True, eq=False)
class Scored:
    """The outcome of one scored request.

    Parameters
    ----------
    model : LoadedModel
        The version that validated, predicted and monitored the rows.
    batch : ValidatedBatch
        The validated rows.
    served : Served
        Probabilities, encoded rows and adversarial scores.
    request_id : str
        Names the logged prediction (labels sent later as feedback refer to it).
    predict_seconds : float
        Duration of the model call.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from driftguard.schema.features import FeatureKind, FeatureSpec, Schema
    >>> validator = InputValidator(Schema((FeatureSpec("x", FeatureKind.NUMERIC),)))
    >>> batch = validator.records([{"x": 1.0}, {"x": 2.0}])
    >>> model = SimpleNamespace(labels=("no", "yes"))  # stands in for a LoadedModel
    >>> served = Served(np.array([[0.2, 0.8], [0.9, 0.1]]))
    >>> scored = Scored(model, batch, served, "ab12", 0.001)
    >>> scored.n_rows, scored.predictions()
    (2, ['yes', 'no'])
    """

    model: LoadedModel
    batch: ValidatedBatch
    served: Served
    request_id: str
    predict_seconds: float

    @property
    def proba(self) -> npt.NDArray[np.float64]:
        """Class probabilities, one row per input row, columns in the model's label order."""
        return self.served.proba

    @property
    def n_rows(self) -> int:
        """Rows scored."""
        return self.batch.n_rows

    def predictions(self) -> list[str]:
        """The most probable label of every row."""
        labels = self.model.labels
        return [labels[i] for i in self.proba.argmax(axis=1).tolist()]


class RequestPath:
    """Score requests of a :class:`ModelHost`: admit, validate, predict, record, defend.

    Parameters
    ----------
    host : ModelHost
        Records rows and predictions; its :class:`Defender` admits clients and watches them.
    on_predict : callable or None
        ``(model, seconds)`` after every model call, before the rows are recorded (the
        service's inference-latency histogram).

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.registry import Registry
    >>> timings = []
    >>> path = RequestPath(
    ...     ModelHost(Registry(tempfile.mkdtemp())),
    ...     on_predict=lambda model, seconds: timings.append(seconds),
    ... )
    >>> path.on_predict is not None
    True
    """

    def __init__(self, host: ModelHost, *, on_predict: PredictTimer | None = None) -> None:
        self.host = host
        self.on_predict = on_predict

    @property
    def defender(self) -> Defender:
        """The host's defences (client admission and the probing detectors)."""
        return self.host.defender

    def score(self, model: LoadedModel, parse: Parse, client: str = "") -> Scored:
        """Admit ``client``, validate with ``parse``, predict, record and defend.

        Parameters
        ----------
        model : LoadedModel
            The version to serve with (picked up once by the caller).
        parse : callable
            ``validator -> ValidatedBatch``: the request's rows checked against the
            version's schema, e.g. ``lambda v: v.records(rows)``.
        client : str, default ""
            Who is asking (``""``: nobody in particular; not watched for probing).

        Returns
        -------
        Scored
            Probabilities, the validated rows, and the request id of the logged prediction.

        Raises
        ------
        ClientRefusedError
            The client is flagged for probing and the policy refuses it now.
        InvalidInputError, SchemaError
            The rows do not fit the model's schema.
        """
        self.host.defender.clients.admit(client)
        batch = parse(model.validator)
        start = time.perf_counter()
        served = model.serve(batch)
        seconds = time.perf_counter() - start
        if self.on_predict is not None:
            self.on_predict(model, seconds)
        request_id = self.host.record(model, batch, served.proba)
        self.host.defender.observe(model, served, client)
        return Scored(model, batch, served, request_id, seconds)

    def score_records(
        self, model: LoadedModel, records: Sequence[Mapping[str, Any]], client: str = ""
    ) -> Scored:
        """:meth:`score` rows given as records, ``[{feature: value, ...}, ...]``."""
        return self.score(model, lambda validator: validator.records(records), client)
