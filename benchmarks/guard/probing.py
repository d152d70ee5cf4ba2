"""The probing-detector claims, measured on the digits model (``driftguard bench guard``).

The digits model is trained by driftguard's pipeline (the demo's MLP, or ``model="logreg"``);
a :class:`~driftguard.adversarial.probing.ProbeDetector` with default settings is fitted on the
training split's encoded rows. Attackers see only the predicted label and work on raw pixels
(0..16), which are encoded the way the service encodes them before the detector sees them.
Each attacker is one client per starting image (correctly classified held-out images):

- **boundary walk** (decision-based, in the spirit of the Boundary Attack / HopSkipJump): ask the
  label of an image of another class, binary-search the blend between the two for the boundary
  (10 queries), then walk towards the original: change ``pixels`` random pixels by +-1..2 and
  move 5% closer to the original, keeping the step when the label is still wrong and the
  distance smaller;
- **small-noise prober**: the original plus Gaussian noise of ``sigma`` pixel levels on every
  pixel, again and again (finite-difference gradient estimation).

Walks change 2, 4 or 8 pixels per step, probers use ``sigma`` 0.02, 0.05 or 0.2: the larger
settings show where the detector stops seeing the attack. Measured: queries until the flag
(median, 95th percentile, max; at most 400 queries are made) and the share flagged within 200
queries (target: all). The encoder amplifies noise on the near-constant border pixels (training
standard deviation down to 0.04 levels), so 0.2 levels of noise on every pixel move a row
further (median 5.5 in the sketch) than most training digits are from their nearest neighbour
(median 3.1): that prober is not seen.

Ordinary clients send 50 to 300 distinct digits rows each, in random order (held-out rows; or
all rows with 5% of requests retried at once); measured: the share flagged (target: below 1%).
Also the memory per tracked client (estimated, and measured with tracemalloc) and the time per
observed row.

Examples
--------
>>> r = AttackResult("noise", 2, (12, 300), 200)
>>> r.within(200), r.flagged_share
(0.5, 0.5)
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.adversarial.probing import ProbeDetector
from driftguard.cli.demo.recipe import DIGITS_MLP_OPTIONS as DEMO_OPTIONS
from driftguard.cli.render import fmt, table

__all__ = ["AttackResult", "OrdinaryResult", "ProbingBench", "run_probing_bench"]

Rows = npt.NDArray[np.float64]
Predict = Callable[[Rows], npt.NDArray[np.intp]]
Encode = Callable[[Rows], npt.NDArray[np.float32]]
BUDGET = 200
MAX_QUERIES = 400


@dataclass(frozen=True, slots=True)
class AttackResult:
    """Queries until each attacking client was flagged (``MAX_QUERIES + 1``: not by then).

    Examples
    --------
    >>> AttackResult("a", 1, (30,), 200).median
    30.0
    """

    name: str
    clients: int
    queries_to_flag: tuple[int, ...]
    budget: int

    def within(self, queries: int) -> float:
        """Share of clients flagged within ``queries`` queries."""
        return float(np.mean(np.asarray(self.queries_to_flag) <= queries))

    @property
    def flagged_share(self) -> float:
        """Share flagged within the budget."""
        return self.within(self.budget)

    @property
    def median(self) -> float:
        """Median queries until the flag."""
        return float(np.median(self.queries_to_flag))

    def row(self) -> list[str]:
        """Table cells: name, clients, median / p95 / max queries, share within budget."""
        q = np.asarray(self.queries_to_flag)
        stats = [self.median, float(np.percentile(q, 95)), float(q.max())]
        cells = [fmt(v) if v <= MAX_QUERIES else f"> {MAX_QUERIES}" for v in stats]
        return [self.name, str(self.clients), *cells, f"{self.flagged_share:.1%}"]


@dataclass(frozen=True, slots=True)
class OrdinaryResult:
    """Ordinary clients of one traffic kind and how many of them were flagged.

    Examples
    --------
    >>> OrdinaryResult("x", 100, 17500, 0, 1).share
    0.01
    """

    name: str
    clients: int
    queries: int
    repeats: int
    flagged: int

    @property
    def share(self) -> float:
        """Share of clients flagged."""
        return self.flagged / self.clients

    def row(self) -> list[str]:
        """Table cells: name, clients, queries, repeats, flagged, share."""
        counts = [self.clients, self.queries, self.repeats, self.flagged]
        return [self.name, *map(str, counts), f"{self.share:.2%}"]


@dataclass(frozen=True, slots=True)
class ProbingBench:
    """Everything :func:`run_probing_bench` measured.

    Examples
    --------
    >>> b = ProbingBench(0, "mlp", 0.97, 1.5, (), (), 5000, 5100, 17.0, 30.0)
    >>> "ordinary traffic" in b.table(), b.to_dict()["model"]
    (True, 'mlp')
    """

    seed: int
    model: str
    accuracy: float
    radius: float
    attacks: tuple[AttackResult, ...]
    ordinary: tuple[OrdinaryResult, ...]
    bytes_per_client: float
    bytes_per_client_measured: float
    us_per_row: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (with the derived shares)."""
        out = asdict(self)
        out["attacks"] = [
            {**asdict(a), "flagged_within_budget": a.flagged_share} for a in self.attacks
        ]
        out["ordinary"] = [{**asdict(o), "flagged_share": o.share} for o in self.ordinary]
        return out

    def table(self) -> str:
        """The attack and ordinary-traffic tables, with the targets, as printable text."""
        head = (
            f"probing detector on digits ({self.model}, test accuracy {self.accuracy:.3f}), "
            f"defaults: 16 dims, history 64, flag at 12 near duplicates, "
            f"radius {self.radius:.3g} (1% NN quantile); seed {self.seed}"
        )
        attack_header = ["attack (one client per image)", "clients", "median q", "p95 q", "max q"]
        attacks = table([*attack_header, f"flagged <= {BUDGET} q"], [a.row() for a in self.attacks])
        ordinary = table(
            ["ordinary traffic", "clients", "queries", "repeats", "flagged", "share"],
            [o.row() for o in self.ordinary],
        )
        cost = (
            f"memory per tracked client: {self.bytes_per_client:.0f} B estimated, "
            f"{self.bytes_per_client_measured:.0f} B measured (tracemalloc); "
            f"{self.us_per_row:.1f} us per observed row; {self.seconds:.0f} s in all"
        )
        targets = f"targets: every attack flagged within {BUDGET} queries; ordinary < 1%"
        return "\n\n".join([head, attacks, ordinary, cost, targets])


class _Digits:
    """The trained digits model behind a label-only oracle, and the encoded rows."""

    def __init__(self, model: str, seed: int) -> None:
        from sklearn.datasets import load_digits

        from driftguard.registry import Registry
        from driftguard.training.pipeline import split_rows, train_table
        from driftguard.training.predictor import load_predictor

        data = load_digits()
        self.raw = np.asarray(data.data, dtype=np.float64)
        self.names = [f"px{j // 8}{j % 8}" for j in range(64)]
        cols = {name: self.raw[:, j] for j, name in enumerate(self.names)}
        options = DEMO_OPTIONS if model in ("mlp", "cnn") else {}
        run = train_table(
            {**cols, "digit": data.target}, "digit", name="digits", model=model,
            options=options, seed=seed, profile_resamples=20,
        )  # fmt: skip
        self.accuracy = float(run.metrics["accuracy"])
        with tempfile.TemporaryDirectory() as tmp:
            registry = Registry(tmp)
            version = registry.register("digits", run.draft, actor="bench", reason="probing")
            self.predictor = load_predictor(registry.open("digits", version))
        self.train, val, test = split_rows(data.target, (0.2, 0.2), seed)
        self.held_out = np.sort(np.concatenate([val, test]))
        self.truth = np.asarray(data.target)

    def encode(self, raw: Rows) -> npt.NDArray[np.float32]:
        """Raw pixel rows as the model (and the detector) sees them."""
        columns = {name: raw[:, j] for j, name in enumerate(self.names)}
        return self.predictor.encoder.transform(columns)

    def predict(self, raw: Rows) -> npt.NDArray[np.intp]:
        """The black box: predicted class indices of raw pixel rows."""
        return np.asarray(self.predictor.logits_encoded(self.encode(raw)).argmax(axis=1))


class _BoundaryWalk:
    """Lockstep decision-based attack on many images: blend search, then a contracting walk."""

    def __init__(self, x0: Rows, y0: npt.NDArray[np.intp], xt: Rows, pixels: int) -> None:
        self.x0, self.y0, self.xt, self.pixels = x0, y0, xt, pixels
        self.lo, self.hi = np.zeros(len(x0)), np.ones(len(x0))
        self.round, self.current = 0, xt.copy()
        self.proposal = xt

    def propose(self, g: np.random.Generator) -> Rows:
        if self.round == 0:
            self.proposal = self.xt
        elif self.round <= 10:
            self.proposal = self._blend((self.lo + self.hi) / 2)
        else:
            step = self.current.copy()
            rows = np.arange(len(step))[:, None]
            cols = np.argsort(g.random(step.shape), axis=1)[:, : self.pixels]
            step[rows, cols] += g.choice([-2.0, -1.0, 1.0, 2.0], size=cols.shape)
            self.proposal = np.clip(step + 0.05 * (self.x0 - step), 0.0, 16.0)
        return self.proposal

    def update(self, labels: npt.NDArray[np.intp]) -> None:
        wrong = labels != self.y0
        if 1 <= self.round <= 10:
            mid = (self.lo + self.hi) / 2
            self.hi, self.lo = np.where(wrong, mid, self.hi), np.where(wrong, self.lo, mid)
            self.current = self._blend(self.hi)
        elif self.round > 10:
            closer = _dist(self.proposal, self.x0) < _dist(self.current, self.x0)
            self.current = np.where((wrong & closer)[:, None], self.proposal, self.current)
        self.round += 1

    def _blend(self, alpha: npt.NDArray[np.float64]) -> Rows:
        return np.asarray((1 - alpha[:, None]) * self.x0 + alpha[:, None] * self.xt)


class _NoiseProber:
    """The original plus fresh Gaussian noise on every pixel, every query."""

    def __init__(self, x0: Rows, sigma: float) -> None:
        self.x0, self.sigma = x0, sigma

    def propose(self, g: np.random.Generator) -> Rows:
        return np.asarray(self.x0 + g.normal(scale=self.sigma, size=self.x0.shape))

    def update(self, labels: npt.NDArray[np.intp]) -> None:
        del labels  # estimating gradients needs them; being flagged does not


def _dist(a: Rows, b: Rows) -> npt.NDArray[np.float64]:
    return np.asarray(np.linalg.norm(a - b, axis=1))


def _attack(
    name: str, attacker: Any, digits: _Digits, det: ProbeDetector, g: np.random.Generator
) -> AttackResult:
    """Run the lockstep attacker, one client per image, until flagged or MAX_QUERIES."""
    det.clear()
    n = len(attacker.x0)
    found = np.full(n, MAX_QUERIES + 1)
    for _ in range(MAX_QUERIES):
        rows = attacker.propose(g)
        attacker.update(digits.predict(rows))
        encoded = digits.encode(rows)
        for i in np.flatnonzero(found > MAX_QUERIES):
            verdict = det.observe(f"{name}-{i}", encoded[i : i + 1])
            if verdict.flagged_at is not None:
                found[i] = verdict.flagged_at
        if (found <= MAX_QUERIES).all():
            break
    return AttackResult(name, n, tuple(int(q) for q in found), BUDGET)


def _ordinary(
    name: str, rows: npt.NDArray[np.float32], clients: int, retry: float, det: ProbeDetector, g: Any
) -> tuple[OrdinaryResult, float]:
    """Clients sending 50..300 distinct rows each (``retry``: share retried at once)."""
    det.clear()
    flagged = queries = repeats = 0
    seconds = 0.0
    for c in range(clients):
        picked = rows[g.choice(len(rows), int(g.integers(50, 301)), replace=False)]
        picked = np.repeat(picked, np.where(g.random(len(picked)) < retry, 2, 1), axis=0)
        start = time.perf_counter()
        verdict = det.observe(f"client-{c}", picked)
        seconds += time.perf_counter() - start
        flagged += verdict.flagged
        queries += verdict.queries
        repeats += verdict.repeats
    return OrdinaryResult(name, clients, queries, repeats, flagged), seconds / queries * 1e6


def _measured_bytes(det: ProbeDetector, rows: npt.NDArray[np.float32], clients: int) -> float:
    """Heap bytes per client with a full ring, measured with tracemalloc."""
    det.clear()
    full = rows[: det.history]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for c in range(clients):
        det.observe(f"mem-{c}", full)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / clients


def run_probing_bench(
    seed: int = 0, model: str = "mlp", images: int = 100, clients: int = 2000
) -> ProbingBench:
    """Train the digits model, attack it, replay ordinary traffic; measure the detector."""
    start = time.perf_counter()
    g = np.random.default_rng(seed)
    digits = _Digits(model, seed)
    det = ProbeDetector(seed=seed).fit(digits.encode(digits.raw[digits.train]))
    held = digits.held_out
    labels = digits.predict(digits.raw[held])
    correct = held[labels == digits.truth[held]]
    picked = g.choice(len(correct), images, replace=False)
    x0, y0 = digits.raw[correct[picked]], digits.truth[correct[picked]]
    others = [g.choice(correct[digits.truth[correct] != y]) for y in y0]
    xt = digits.raw[np.asarray(others)]
    attackers = [
        ("boundary walk, 2 px +-1..2 per step", _BoundaryWalk(x0, y0, xt, 2)),
        ("boundary walk, 4 px +-1..2 per step", _BoundaryWalk(x0, y0, xt, 4)),
        ("boundary walk, 8 px +-1..2 per step", _BoundaryWalk(x0, y0, xt, 8)),
        ("small-noise prober, sigma 0.02 px", _NoiseProber(x0, 0.02)),
        ("small-noise prober, sigma 0.05 px", _NoiseProber(x0, 0.05)),
        ("small-noise prober, sigma 0.2 px", _NoiseProber(x0, 0.2)),
    ]
    attacks = tuple(_attack(name, a, digits, det, g) for name, a in attackers)
    held_rows, all_rows = digits.encode(digits.raw[held]), digits.encode(digits.raw)
    plain, us = _ordinary("held-out rows, distinct", held_rows, clients, 0.0, det, g)
    retried, _ = _ordinary("all rows, 5% retried at once", all_rows, clients, 0.05, det, g)
    estimate = det.state().memory_bytes
    tracked = det.state().tracked_clients
    fitted = det.projection_.nbytes + det.hash_keys_.nbytes
    bytes_per_client = (estimate - fitted) / max(tracked, 1)
    measured = _measured_bytes(det, all_rows, 500)
    return ProbingBench(
        seed, model, digits.accuracy, det.radius_, attacks, (plain, retried),
        bytes_per_client, measured, us, time.perf_counter() - start,
    )  # fmt: skip
