"""Tests of the per-client probing detector and its benchmark."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from driftguard.adversarial.probing import ProbeDetector, fit_probe_detector
from driftguard.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFittedError,
    SerializationError,
    UnsupportedVersionError,
)

D = 20


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(2000, D))


@pytest.fixture(scope="module")
def fitted(reference: np.ndarray) -> bytes:
    return fit_probe_detector(reference, seed=0).to_bytes()


def detector(fitted: bytes) -> ProbeDetector:
    """A fresh fitted detector (no client state) with default settings."""
    return ProbeDetector.from_bytes(fitted)


def random_search(det: ProbeDetector, client: str, seed: int, queries: int = 300) -> int | None:
    """Decision-based random search on a linear black box; returns the query of the flag."""
    g = np.random.default_rng(seed)
    w = g.normal(size=D)

    def label(x: np.ndarray) -> bool:
        return bool(x @ w > 0)

    x0 = g.normal(size=D)
    x0 *= 1.0 if label(x0) else -1.0  # an input of class True
    current = x0 - 2.5 * (x0 @ w) / (w @ w) * w  # across the boundary
    for q in range(queries):
        step = current.copy()
        idx = g.choice(D, 2, replace=False)
        step[idx] += g.choice([-0.3, 0.3], size=2)
        step += 0.05 * (x0 - step)
        verdict = det.observe(client, step[None, :])
        if not label(step) and np.linalg.norm(step - x0) < np.linalg.norm(current - x0):
            current = step
        if verdict.flagged:
            return q + 1
    return None


def test_random_search_probing_is_flagged_within_200_queries(fitted: bytes) -> None:
    det = detector(fitted)
    found = [random_search(det, f"attacker-{s}", seed=s) for s in range(10)]
    assert all(q is not None and q <= 200 for q in found), found
    assert det.state().flags_total == 10
    assert det.flagged("attacker-3")
    assert not det.flagged("nobody")


def test_small_noise_prober_is_flagged_quickly(fitted: bytes, reference: np.ndarray) -> None:
    det = detector(fitted)
    noise = np.random.default_rng(1).normal(scale=1e-3, size=(40, D))
    verdict = det.observe("prober", reference[5] + noise)
    assert verdict.flagged
    assert verdict.newly_flagged
    assert verdict.flagged_at == det.min_near_duplicates + 1  # the first query has no neighbour
    assert verdict.queries == 40
    assert verdict.repeats == 0


def test_ordinary_distinct_rows_are_not_flagged(fitted: bytes) -> None:
    det = detector(fitted)
    fresh = np.random.default_rng(7).normal(size=(200, 100, D))
    flagged = sum(det.observe(f"client-{c}", fresh[c]).flagged for c in range(200))
    assert flagged <= 1
    state = det.state()
    assert state.tracked_clients + len(state.flagged_clients) == 200
    assert state.flags_total == flagged


def test_exact_repeats_are_counted_and_never_flag(fitted: bytes, reference: np.ndarray) -> None:
    det = detector(fitted)
    verdict = det.observe("retrier", np.repeat(reference[:1], 500, axis=0))
    assert (verdict.repeats, verdict.near_duplicates, verdict.flagged) == (499, 0, False)
    rows = reference[100:160]
    retried = np.concatenate([rows[:30], rows[29:30], rows[29:30], rows[30:]])
    verdict = det.observe("ordinary", retried)
    assert (verdict.queries, verdict.repeats, verdict.flagged) == (62, 2, False)


def test_flag_is_sticky_until_forgotten(fitted: bytes, reference: np.ndarray) -> None:
    det = detector(fitted)
    probe = reference[0] + np.random.default_rng(2).normal(scale=1e-3, size=(30, D))
    assert det.observe("c", probe).newly_flagged
    later = det.observe("c", reference[200:300])
    assert later.flagged
    assert not later.newly_flagged
    assert later.queries == 130
    assert det.forget("c")
    assert not det.flagged("c")
    assert not det.forget("c")
    assert not det.observe("c", reference[300:310]).flagged
    assert det.state().flags_total == 1


def test_client_table_is_bounded_and_evictions_counted(reference: np.ndarray) -> None:
    det = ProbeDetector(max_clients=5, max_flagged=2).fit(reference)
    probe = reference[0] + np.random.default_rng(3).normal(scale=1e-3, size=(30, D))
    assert det.observe("attacker", probe).flagged
    for c in range(20):
        det.observe(f"client-{c}", reference[c : c + 3])
        assert det.state().tracked_clients <= 5
    state = det.state()
    assert (state.tracked_clients, state.evicted_clients) == (5, 15)
    assert state.flagged_clients == ("attacker",)  # a flood of new ids does not evict a flag
    for name in ("p1", "p2"):
        det.observe(name, probe)
    state = det.state()
    assert state.flagged_clients == ("p1", "p2")
    assert state.evicted_flagged == 1
    det.observe("client-20", reference[:3])
    bounded = det.memory_bytes()
    for c in range(21, 60):
        det.observe(f"client-{c}", reference[c : c + 3])
    assert det.memory_bytes() == pytest.approx(bounded, rel=0.01)


def test_memory_estimate_counts_rings(fitted: bytes, reference: np.ndarray) -> None:
    det = detector(fitted)
    empty = det.memory_bytes()
    det.observe("a", reference[:10])
    ring = det.history * (4 * det.dims + 9)
    assert det.memory_bytes() - empty >= ring


def test_threads_observing_concurrently(fitted: bytes, reference: np.ndarray) -> None:
    det = detector(fitted)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(50):
                det.observe(f"own-{t}", reference[t * 100 + i : t * 100 + i + 1])
                det.observe("shared", reference[1000 + t * 50 + i : 1001 + t * 50 + i])
                det.state()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert det.observe("shared", reference[1999:2000]).queries == 201
    assert all(det.observe(f"own-{t}", reference[:0]).queries == 50 for t in range(4))


def test_bytes_round_trip(fitted: bytes, reference: np.ndarray) -> None:
    det = ProbeDetector(dims=8, history=16, min_near_duplicates=4, seed=3).fit(reference)
    back = ProbeDetector.from_bytes(det.to_bytes())
    assert back.config() == det.config()
    assert np.array_equal(back.projection_, det.projection_)
    assert np.array_equal(back.hash_keys_, det.hash_keys_)
    assert back.radius_ == det.radius_
    probe = reference[0] + np.random.default_rng(4).normal(scale=1e-3, size=(10, D))
    assert back.observe("c", probe) == det.observe("c", probe)


def test_bad_bytes_raise_serialization_error(fitted: bytes) -> None:
    with pytest.raises(SerializationError, match="not a probe detector"):
        ProbeDetector.from_bytes(b"garbage")
    with pytest.raises(SerializationError):
        ProbeDetector.from_bytes(fitted[: len(fitted) // 2])
    import io
    import json

    with np.load(io.BytesIO(fitted), allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta["version"] = 99
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with pytest.raises(UnsupportedVersionError):
        ProbeDetector.from_bytes(buffer.getvalue())
    with pytest.raises(NotFittedError):
        ProbeDetector().to_bytes()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"dims": 0}, "dims"),
        ({"history": 1}, "history"),
        ({"min_near_duplicates": 0}, "min_near_duplicates"),
        ({"history": 8, "min_near_duplicates": 9}, "min_near_duplicates"),
        ({"radius_quantile": 0.0}, "radius_quantile"),
        ({"radius_quantile": 1.5}, "radius_quantile"),
        ({"max_clients": 0}, "max_clients"),
        ({"max_flagged": 2.5}, "max_flagged"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise_configuration_error(kwargs: dict[str, float], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        ProbeDetector(**kwargs)  # type: ignore[arg-type]


def test_bad_inputs_raise_invalid_input_error(fitted: bytes) -> None:
    with pytest.raises(NotFittedError):
        ProbeDetector().observe("c", np.zeros((1, D)))
    det = detector(fitted)
    with pytest.raises(InvalidInputError, match="x: expected a 2-D matrix"):
        det.observe("c", np.zeros(D))
    with pytest.raises(InvalidInputError, match=f"x: expected {D} columns, got 3"):
        det.observe("c", np.zeros((2, 3)))
    with pytest.raises(InvalidInputError, match="NaN"):
        det.observe("c", np.full((1, D), np.nan))
    with pytest.raises(InvalidInputError, match="client"):
        det.observe("", np.zeros((1, D)))
    with pytest.raises(InvalidInputError, match="x_reference"):
        ProbeDetector().fit(np.zeros(5))
    with pytest.raises(InvalidInputError, match="2 distinct rows"):
        ProbeDetector().fit(np.ones((10, 3)))


@pytest.mark.slow
def test_bench_on_digits_flags_attacks_and_spares_ordinary_clients() -> None:
    from benchmarks.guard.probing import run_probing_bench

    bench = run_probing_bench(seed=0, model="logreg", images=10, clients=50)
    walks = [a for a in bench.attacks if a.name.startswith("boundary walk")]
    assert walks
    assert all(a.flagged_share == 1.0 for a in walks)
    assert all(o.flagged == 0 for o in bench.ordinary)
    assert bench.ordinary[1].repeats > 0
    assert "ordinary traffic" in bench.table()
    assert bench.to_dict()["model"] == "logreg"
