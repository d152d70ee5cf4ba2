"""RequestPath.score without HTTP: admit -> validate -> predict -> record -> defend.

Valid rows come back as predictions with a request id, queued for the monitor and logged for
feedback; invalid rows raise the validator's error (what the routes answer with 422) and
leave nothing behind; a client refused by the policy raises the ClientRefusedError the error
table maps to 429 / 403, before its rows are even parsed. Defences: an undefended version
(the cancer fixture) watches nobody; a version trained with the defence artefacts (digits)
flags a probing client onto the event sink given at construction, then the policy decides
whether it is still served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import cancer_records

from driftguard.errors import (
    ClientBlockedError,
    ClientRefusedError,
    InvalidInputError,
    RateLimitedError,
    UnknownRequestError,
)
from driftguard.guard import Timeline
from driftguard.policy import ClientPolicy
from driftguard.registry import Registry
from driftguard.schema.validation import InputValidator, ValidatedBatch
from driftguard.serving import (
    ClientGuard,
    Defender,
    LoadedModel,
    ModelHost,
    ModelOptions,
    RequestPath,
    Scored,
)
from driftguard.training.defenses import defense_artefacts
from driftguard.training.pipeline import train_table

DIGITS = "digits"


def _host(root: Path, policy: ClientPolicy | None = None, **kwargs: Any) -> ModelHost:
    defender = Defender(ClientGuard(policy or ClientPolicy()), **kwargs)
    host = ModelHost(Registry(root), ModelOptions(shadow_rows=0), defender=defender)
    assert host.refresh()
    return host


class Timings:
    """An ``on_predict`` that remembers its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[LoadedModel, float]] = []

    def __call__(self, model: LoadedModel, seconds: float) -> None:
        self.calls.append((model, seconds))


# --------------------------------------------------------------------------------------------
# Valid and invalid rows


def test_valid_rows_are_predicted_recorded_and_logged(cancer_registry: Path) -> None:
    host = _host(cancer_registry)
    timings = Timings()
    path = RequestPath(host, on_predict=timings)
    model = host.get("cancer")
    rows = cancer_records(7)
    scored = path.score_records(model, rows, "addr:10.0.0.1")
    assert isinstance(scored, Scored)
    assert scored.model is model
    assert scored.n_rows == 7
    assert scored.proba.shape == (7, len(model.labels))
    np.testing.assert_allclose(scored.proba.sum(axis=1), 1.0)
    expected = model.predict_proba(model.validator.records(rows))
    np.testing.assert_allclose(scored.proba, expected)
    assert scored.predictions() == [model.labels[i] for i in expected.argmax(axis=1)]
    assert len(scored.request_id) == 32
    int(scored.request_id, 16)
    assert scored.served.encoded is None  # no defence artefacts: nothing to watch
    # recorded: queued for the drift monitor and logged for feedback under the request id
    assert model.monitor is not None
    assert model.monitor.state().rows_queued == 7
    logged = host.predictions.take(scored.request_id)
    assert (logged.model, logged.version, logged.n_rows) == ("cancer", model.version, 7)
    np.testing.assert_allclose(logged.probabilities, scored.proba)
    # timed once, with the version that served
    assert len(timings.calls) == 1
    assert timings.calls[0][0] is model
    assert timings.calls[0][1] == scored.predict_seconds >= 0.0


def test_every_request_gets_its_own_id(cancer_registry: Path) -> None:
    host = _host(cancer_registry)
    path = RequestPath(host)
    model = host.get("cancer")
    ids = {path.score_records(model, cancer_records(2, start=k)).request_id for k in range(5)}
    assert len(ids) == 5
    assert model.monitor is not None
    assert model.monitor.state().rows_queued == 10


def test_score_takes_any_parser_of_the_versions_validator(cancer_registry: Path) -> None:
    host = _host(cancer_registry)
    model = host.get("cancer")
    seen: list[InputValidator] = []
    rows = cancer_records(3)
    columns = {k: [r[k] for r in rows] for k in rows[0]}

    def parse(validator: InputValidator) -> ValidatedBatch:
        seen.append(validator)
        return validator.columns(columns)

    scored = RequestPath(host).score(model, parse)
    assert seen == [model.validator]
    np.testing.assert_allclose(scored.proba, RequestPath(host).score_records(model, rows).proba)


@pytest.mark.parametrize(
    ("records", "location", "fragment"),
    [
        ([{"mean_radius": "abc"}], "records[0]", "missing"),
        ([], "records", "at least one record"),
        ([{**cancer_records(1)[0], "mean_area": None}], "records[0].mean_area", "null"),
        ("not a list", "records", "list"),
    ],
)
def test_invalid_rows_raise_the_validators_error_and_leave_nothing(
    cancer_registry: Path, records: Any, location: str, fragment: str
) -> None:
    host = _host(cancer_registry)
    timings = Timings()
    path = RequestPath(host, on_predict=timings)
    model = host.get("cancer")
    with pytest.raises(InvalidInputError) as direct:
        model.validator.records(records)  # what the route used to call itself
    with pytest.raises(InvalidInputError) as info:
        path.score_records(model, records, "addr:10.0.0.1")
    assert type(info.value) is type(direct.value)
    assert str(info.value) == str(direct.value)
    assert info.value.location == direct.value.location
    assert info.value.location is not None
    assert info.value.location.startswith(location)
    assert fragment in str(info.value)
    assert timings.calls == []
    assert model.monitor is not None
    assert model.monitor.state().rows_queued == 0
    assert len(host.predictions) == 0


def test_a_bad_value_names_its_field(cancer_registry: Path) -> None:
    host = _host(cancer_registry)
    model = host.get("cancer")
    rows = cancer_records(2)
    rows[1]["mean_radius"] = "abc"  # type: ignore[assignment]
    with pytest.raises(InvalidInputError) as info:
        RequestPath(host).score_records(model, rows)
    assert info.value.location == "records[1].mean_radius"


def test_without_monitoring_nothing_is_logged(cancer_registry: Path) -> None:
    host = ModelHost(Registry(cancer_registry), ModelOptions(monitoring=False))
    host.refresh()
    scored = RequestPath(host).score_records(host.get("cancer"), cancer_records(3))
    assert scored.n_rows == 3
    with pytest.raises(UnknownRequestError):
        host.predictions.take(scored.request_id)


# --------------------------------------------------------------------------------------------
# Refused clients


@pytest.mark.parametrize(
    ("action", "error"), [("block", ClientBlockedError), ("rate_limit", RateLimitedError)]
)
def test_a_refused_client_gets_the_policys_error_before_parsing(
    cancer_registry: Path, action: str, error: type[ClientRefusedError]
) -> None:
    policy = ClientPolicy(on_probing=action, rate_per_minute=2, hold_s=60)
    host = _host(cancer_registry, policy)
    path = RequestPath(host)
    model = host.get("cancer")
    assert host.defender.clients.flag("addr:10.6.6.6", "cancer", model.version, "test")
    parsed: list[int] = []

    def parse(validator: InputValidator) -> ValidatedBatch:
        parsed.append(1)
        return validator.records(cancer_records(1))

    allowed = 2 if action == "rate_limit" else 0
    for _ in range(allowed):
        path.score(model, parse, "addr:10.6.6.6")
    with pytest.raises(error) as info:
        path.score(model, parse, "addr:10.6.6.6")
    assert isinstance(info.value, ClientRefusedError)
    assert "addr:10.6.6.6" in str(info.value)
    assert "flagged for probing cancer" in str(info.value)
    assert info.value.retry_after is not None
    assert 0 < info.value.retry_after <= 60
    assert len(parsed) == allowed  # refused before its rows were parsed
    assert len(host.predictions) == allowed
    assert host.defender.clients.state().refused[action] == 1
    # other clients, and requests that name nobody, are served
    assert path.score(model, parse, "addr:10.0.0.2").n_rows == 1
    assert path.score(model, parse).n_rows == 1


def test_alert_only_flags_but_never_refuses(cancer_registry: Path) -> None:
    host = _host(cancer_registry, ClientPolicy(on_probing="alert"))
    model = host.get("cancer")
    host.defender.clients.flag("addr:10.6.6.6", "cancer", model.version, "test")
    for _ in range(5):
        RequestPath(host).score_records(model, cancer_records(1), "addr:10.6.6.6")
    assert host.defender.clients.state().refused == {"rate_limit": 0, "block": 0}


# --------------------------------------------------------------------------------------------
# Defences on and off


@pytest.fixture(scope="module")
def digits_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One digits logistic regression trained with the defence artefacts, ACTIVE."""
    from sklearn.datasets import load_digits

    data = load_digits()
    cols = {f"px{j}": data.data[:, j].astype(np.float64) for j in range(64)}
    root = tmp_path_factory.mktemp("request_path") / "registry"
    registry = Registry(root)
    run = train_table({**cols, "digit": data.target.astype(np.int64)}, "digit", name=DIGITS,
                      model="logreg", options={"C": 0.1, "max_iter": 500}, seed=0,
                      artefacts=(defense_artefacts,))  # fmt: skip
    version = registry.register(DIGITS, run.draft, actor="test", reason="digits")
    registry.promote(DIGITS, version, actor="test", reason="test")
    return root


def _digit_rows() -> np.ndarray:
    from sklearn.datasets import load_digits

    return np.asarray(load_digits().data, dtype=np.float64)


def _record(row: np.ndarray) -> list[dict[str, float]]:
    return [{f"px{j}": float(v) for j, v in enumerate(row)}]


def _probe(path: RequestPath, model: LoadedModel, client: str, n: int) -> list[str]:
    """A random walk of single-row queries near one image; the outcome of each request."""
    g = np.random.default_rng(5)
    x = _digit_rows()[0].copy()
    outcomes = []
    for _ in range(n):
        step = x.copy()
        idx = g.choice(64, 2, replace=False)
        step[idx] = np.clip(step[idx] + g.choice([-1.0, 1.0], 2), 0, 16)
        try:
            path.score_records(model, _record(step), client)
        except ClientRefusedError as exc:
            outcomes.append(type(exc).__name__)
            continue
        outcomes.append("served")
        x = step
    return outcomes


def test_defences_on_a_probing_client_is_flagged_then_blocked(digits_registry: Path) -> None:
    timeline = Timeline()
    policy = ClientPolicy(on_probing="block", hold_s=60)
    host = _host(digits_registry, policy, on_event=timeline.note)
    path = RequestPath(host)
    model = host.get(DIGITS)
    assert model.defenses.probe is not None
    outcomes = _probe(path, model, "token:prober", 80)
    assert outcomes[:10] == ["served"] * 10  # flagged only after a burst of near duplicates
    first = outcomes.index("ClientBlockedError")
    assert set(outcomes[first:]) == {"ClientBlockedError"}
    assert host.defender.clients.flagged("token:prober")
    (event,) = timeline.entries(DIGITS)  # the sink given to the Defender at construction
    assert event.kind == "probing"
    assert "token:prober" in event.text
    assert "policy: block" in event.text
    # the flagging request itself was served; the refusal starts with the next one
    assert host.defender.clients.state().refused["block"] == len(outcomes) - first
    rows = _digit_rows()
    honest = path.score_records(model, [_record(r)[0] for r in rows[1:40]], "token:honest")
    assert honest.served.encoded is not None
    assert honest.n_rows == 39
    assert not host.defender.clients.flagged("token:honest")


def test_defences_on_alert_only_keeps_serving_the_flagged_client(digits_registry: Path) -> None:
    timeline = Timeline()
    host = _host(digits_registry, ClientPolicy(on_probing="alert"), on_event=timeline.note)
    outcomes = _probe(RequestPath(host), host.get(DIGITS), "token:prober", 60)
    assert set(outcomes) == {"served"}
    assert host.defender.clients.flagged("token:prober")
    assert [e.kind for e in timeline.entries(DIGITS)] == ["probing"]


def test_defences_off_an_undefended_version_watches_nobody(cancer_registry: Path) -> None:
    timeline = Timeline()
    host = _host(cancer_registry, ClientPolicy(on_probing="block"), on_event=timeline.note)
    path = RequestPath(host)
    model = host.get("cancer")
    assert model.defenses.probe is None
    row = cancer_records(1)
    for _ in range(60):  # the same query over and over: probing, were anyone watching
        scored = path.score_records(model, row, "token:prober")
        assert scored.served.encoded is None
    assert not host.defender.clients.flagged("token:prober")
    assert timeline.entries() == []
