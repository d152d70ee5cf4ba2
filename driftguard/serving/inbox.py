"""Accept labelled feedback: join it to the logged prediction, or predict the rows it brings.

A label is matched to the model's class labels the way training read them (``1``, ``1.0``
and ``"1"`` all name class ``"1"`` when that is a label); an unknown label is refused with
the list of valid ones, and the logged prediction stays available for a corrected retry.

Examples
--------
>>> label_codes(("no", "yes"), ["yes", "no"], 2)
(1, 0)
>>> label_codes(("0", "1"), 1.0, 1)
(1,)
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from driftguard.errors import InvalidInputError, UnknownRequestError
from driftguard.serving.feedback import Feedback, LoggedPrediction
from driftguard.serving.host import ModelHost

__all__ = ["accept_feedback", "label_codes"]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # never echo a huge body back


def _spellings(value: Any, where: str) -> list[str]:
    if isinstance(value, bool):
        return [str(value)]
    if isinstance(value, int):
        return [str(value), f"{value}.0"]
    if isinstance(value, float):
        return [str(int(value)), str(value)] if value.is_integer() else [str(value)]
    if isinstance(value, str):
        return [value]
    raise InvalidInputError(where, f"expected a string, number or boolean, got {_shown(value)}")


def label_codes(labels: tuple[str, ...], given: Any, n_rows: int) -> tuple[int, ...]:
    """Class indices of ``given`` (one label, or a list with one per row)."""
    values = given if isinstance(given, list) else [given]
    if len(values) != n_rows:
        raise InvalidInputError(
            "label", f"{len(values)} labels given for {n_rows} rows (one label per row)"
        )
    index = {label: i for i, label in enumerate(labels)}
    codes = []
    for k, value in enumerate(values):
        where = "label" if not isinstance(given, list) else f"label[{k}]"
        code = next((index[s] for s in _spellings(value, where) if s in index), None)
        if code is None:
            shown = ", ".join(labels[:20])
            raise InvalidInputError(
                where, f"unknown label {_shown(value)}; the model's labels are {shown}"
            )
        codes.append(code)
    return tuple(codes)


def accept_feedback(
    host: ModelHost,
    *,
    label: Any,
    request_id: str | None = None,
    model: str | None = None,
    records: list[dict[str, Any]] | None = None,
    source: str = "",
) -> Feedback:
    """Store labelled rows (by ``request_id``, or ``records`` of ``model``) and return them."""
    if (request_id is None) == (records is None):
        raise InvalidInputError("request_id", "give exactly one of request_id and records")
    if request_id is not None:
        if not host.options.monitoring:
            raise UnknownRequestError(
                f"request_id {request_id!r}: predictions are not logged while monitoring is "
                "off (DRIFTGUARD_MONITORING=false); send the records with the label instead"
            )
        prediction = host.predictions.take(request_id)
        try:
            codes = label_codes(prediction.labels, label, prediction.n_rows)
        except InvalidInputError:
            host.predictions.put_back(prediction)
            raise
    else:
        prediction = _predict_records(host, model, records or [])
        codes = label_codes(prediction.labels, label, prediction.n_rows)
    screening = host.defender.screen(host.trusted(prediction.model), prediction, codes, source)
    feedback = Feedback(
        prediction,
        codes,
        source,
        time.time(),
        flags=screening.flags,
        p_values=screening.p_values,
        quarantined=screening.quarantined,
        trusted_version=screening.trusted_version,
    )
    host.feedback.add(feedback)
    return feedback


def _predict_records(host: ModelHost, model: str | None, records: Any) -> LoggedPrediction:
    if model is None:
        served = [m.name for m in host.loaded()]
        if len(served) != 1:
            raise InvalidInputError("model", "name the model the records are for")
        model = served[0]
    loaded = host.get(model)
    batch = loaded.validator.records(records)
    proba = loaded.predict_proba(batch)
    return LoggedPrediction(
        uuid.uuid4().hex,
        loaded.name,
        loaded.version,
        time.time(),
        batch.columns,
        proba,
        loaded.labels,
    )
