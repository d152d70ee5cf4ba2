"""Sequential drift detection against river's ADWIN and PageHinkley, on the same seeded streams.

Streams have ``features`` independent standard-normal features; the reference is ``5000``
rows of the same law. Three questions, each on its own seeded streams shared by all detectors:

1. **Run length without drift.** Each detector runs from a fresh start until its first alarm
   (at most ``10 x`` the target, counted as censored); the mean over the runs is compared with
   the target expected run length (ARL0). driftguard's :class:`SequentialDrift` must land within
   ±15 % of its target.
2. **Detection delay.** A mean shift of ``delta`` reference standard deviations (sign and
   feature drawn per run) starts after row ``change_at``; the delay is the number of shifted
   rows up to and including the alarm row. An alarm before the change is a false alarm: it is
   counted, the detector is reset and the run goes on. No alarm within ``target`` shifted rows
   counts as missed.
3. **Matched false-alarm rates.** river's detectors are univariate, so each runs one detector
   per feature (the stream alarms when any does, then all are renewed), with river's defaults
   except the sensitivity: ``threshold`` for PageHinkley, ``delta`` for ADWIN. That is tuned
   *in-sample* on the very no-drift runs whose mean run length the table reports, until it
   matches the target within 2 % (regula falsi on ``log ARL``; with common random numbers each
   run's first alarm is monotone in the sensitivity, so runs bracketed by equal times are not
   run again). This gives river an oracle's advantage; driftguard's threshold comes from the
   reference alone. river's per-row Python loop is slow, so the peers run at ``peer_target``
   only and on fewer runs (the table says how many).

river is not a dependency of driftguard; the benchmark imports it lazily.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from driftguard.cli.render import table
from driftguard.detectors.sequential import SequentialDrift
from driftguard.errors import ConfigurationError

__all__ = ["SequentialBenchResult", "SequentialBenchRow", "run_sequential_bench"]

FloatArray = npt.NDArray[np.float64]
#: Relative tolerance on the mean run length without drift.
TOLERANCE = 0.15
_CHUNK = 512
#: No-drift runs are cut (and counted as censored) at this many times the target.
_CENSOR = 10
_NULL, _SHIFT, _CALIBRATION, _REFERENCE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class SequentialBenchRow:
    """One detector at one target: its run length without drift and its delays.

    ``delays``, ``missed`` and ``false_alarms`` have one entry per shift of the result.
    """

    detector: str
    setting: str
    target: int
    null_runs: int
    mean_run_length: float
    censored: int
    shift_runs: int
    delays: tuple[float, ...]
    median_delays: tuple[float, ...]
    missed: tuple[int, ...]
    false_alarms: tuple[int, ...]
    seconds: float

    @property
    def ratio(self) -> float:
        """Measured mean run length over the target."""
        return self.mean_run_length / self.target

    @property
    def within_tolerance(self) -> bool:
        """Whether the mean run length is within ±15 % of the target."""
        return abs(self.ratio - 1.0) <= TOLERANCE


@dataclass(frozen=True, slots=True)
class SequentialBenchResult:
    """Every detector's row, and the streams' description.

    Examples
    --------
    >>> row = SequentialBenchRow("x", "h=1", 100, 10, 105.0, 0, 5, (3.0,), (3.0,), (0,), (1,), 0.1)
    >>> res = SequentialBenchResult(20, 5000, 500, (1.0,), (row,), 0.1)
    >>> res.ok, "105 = 1.05x (10 runs)" in res.table()
    (True, True)
    """

    features: int
    reference_rows: int
    change_at: int
    shifts: tuple[float, ...]
    rows: tuple[SequentialBenchRow, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether every driftguard row is within tolerance of its target."""
        return all(r.within_tolerance for r in self.rows if r.detector == "driftguard")

    def table(self) -> str:
        """The comparison as a printable table, with its caption."""
        header = ["detector", "setting", "ARL0", "mean run length, no drift"]
        header += [f"delay {s:g} sd (mean/median)" for s in self.shifts]
        header += ["missed", "false alarms before shift", "seconds"]
        body = []
        for r in self.rows:
            line = [r.detector, r.setting, str(r.target)]
            censored = f", {r.censored} censored" if r.censored else ""
            line.append(f"{r.mean_run_length:.0f} = {r.ratio:.2f}x ({r.null_runs} runs{censored})")
            line += [f"{m:.1f} / {md:.0f}" for m, md in zip(r.delays, r.median_delays, strict=True)]
            line += ["/".join(map(str, r.missed)), "/".join(map(str, r.false_alarms))]
            line.append(f"{r.seconds:.1f}")
            body.append(line)
        shifts = "/".join(f"{s:g}" for s in self.shifts)
        runs = "/".join(sorted({str(r.shift_runs) for r in self.rows}))
        caption = (
            f"{self.features} independent N(0, 1) features; reference {self.reference_rows} "
            f"rows; a mean shift of {shifts} reference sd in 1 feature after row "
            f"{self.change_at} ({runs} runs each); delay = shifted rows up to the alarm; "
            f"missed = no alarm within ARL0 shifted rows; counts are per shift ({shifts} sd). "
            f"river is tuned in-sample to the ARL0. driftguard within ±{TOLERANCE:.0%} of "
            f"ARL0: {self.ok}. {self.seconds:.0f} s in all."
        )
        return table(header, body) + "\n\n" + caption


@dataclass(frozen=True, slots=True)
class _Config:
    features: int
    change_at: int
    shifts: tuple[float, ...]
    seed: int


class _Stream:
    """Seeded rows generated on demand, in chunks, with an optional mean shift."""

    def __init__(
        self, key: tuple[int, ...], features: int, change_at: int = 0, delta: float = 0.0
    ) -> None:
        self.key, self.features, self.change_at, self.delta = key, features, change_at, delta
        g = np.random.default_rng((*key, 999))
        self.feature = int(g.integers(features))
        self.sign = float(g.choice([-1.0, 1.0]))
        self._chunks: dict[int, FloatArray] = {}

    def _chunk(self, i: int) -> FloatArray:
        if i not in self._chunks:
            g = np.random.default_rng((*self.key, i))
            x = g.normal(size=(_CHUNK, self.features))
            first = i * _CHUNK
            if self.delta and first + _CHUNK > self.change_at:
                x[max(self.change_at - first, 0) :, self.feature] += self.sign * self.delta
            self._chunks[i] = x
        return self._chunks[i]

    def rows(self, start: int, stop: int) -> FloatArray:
        if stop <= start:
            return np.empty((0, self.features))
        parts = [self._chunk(i) for i in range(start // _CHUNK, (stop - 1) // _CHUNK + 1)]
        x = np.concatenate(parts) if len(parts) > 1 else parts[0]
        offset = (start // _CHUNK) * _CHUNK
        return x[start - offset : stop - offset]

    def iter_rows(self, start: int, stop: int) -> Iterator[list[float]]:
        for first in range(start, stop, _CHUNK):
            yield from self.rows(first, min(first + _CHUNK, stop)).tolist()


def _run_ours(det: SequentialDrift, s: _Stream, limit: int) -> tuple[int, int | None]:
    """False alarms up to ``s.change_at`` and the first alarm after it (``None``: none)."""
    det.reset()
    base = pos = false = 0
    while pos < limit:
        stop = min(s.change_at if pos < s.change_at else limit, pos + 4096)
        det.update(s.rows(pos, stop))
        if det.alarm_at_ is not None:
            at = base + det.alarm_at_
            if at > s.change_at:
                return false, at
            false, base, pos = false + 1, at, at
            det.reset()
            continue
        pos = stop
    return false, None


def _run_peer(make: Callable[[], Any], s: _Stream, limit: int) -> tuple[int, int | None]:
    """The same for one river detector per feature (renewed after a false alarm)."""
    dets = [make() for _ in range(s.features)]
    false = 0
    for t, row in enumerate(s.iter_rows(0, limit), start=1):
        fired = False
        for det, value in zip(dets, row, strict=True):
            det.update(value)
            fired = fired or det.drift_detected
        if fired:
            if t > s.change_at:
                return false, t
            false += 1
            dets = [make() for _ in range(s.features)]
    return false, None


Runner = Callable[[_Stream, int], tuple[int, int | None]]


def _null_streams(config: _Config, runs: int) -> list[_Stream]:
    return [_Stream((config.seed, _NULL, i), config.features) for i in range(runs)]


def _evaluate(
    name: str,
    setting: str,
    run: Runner,
    target: int,
    null_times: list[int | None],
    shift_runs: int,
    config: _Config,
) -> SequentialBenchRow:
    """Summarise the no-drift run lengths and run the shifted streams."""
    start = time.perf_counter()
    cap = _CENSOR * target
    lengths = [cap if t is None else t for t in null_times]
    delays, medians, missed, false_alarms = [], [], [], []
    for j, delta in enumerate(config.shifts):
        found, miss, fa = [], 0, 0
        for i in range(shift_runs):
            key = (config.seed, _SHIFT, j, i)
            stream = _Stream(key, config.features, config.change_at, delta)
            n_false, at = run(stream, config.change_at + target)
            fa += n_false
            if at is None:
                miss += 1
            else:
                found.append(at - config.change_at)
        delays.append(float(np.mean(found)) if found else math.nan)
        medians.append(float(np.median(found)) if found else math.nan)
        missed.append(miss)
        false_alarms.append(fa)
    return SequentialBenchRow(
        name,
        setting,
        target,
        len(lengths),
        float(np.mean(lengths)),
        sum(t is None for t in null_times),
        shift_runs,
        tuple(delays),
        tuple(medians),
        tuple(missed),
        tuple(false_alarms),
        time.perf_counter() - start,
    )


class _Tuning:
    """A peer's first-alarm times on fixed no-drift streams as its sensitivity varies.

    With common random numbers each stream's first alarm is monotone in the sensitivity, so a
    stream whose times at the nearest tried values on either side agree is not run again.
    """

    def __init__(self, factory: Callable[[float], Any], streams: list[_Stream], cap: int) -> None:
        self.factory, self.streams, self.cap = factory, streams, cap
        self.tried: list[dict[float, int | None]] = [{} for _ in streams]

    def times(self, x: float) -> list[int | None]:
        out = []
        for s, tried in zip(self.streams, self.tried, strict=True):
            below = [v for v in tried if v < x]
            above = [v for v in tried if v > x]
            if x in tried:
                out.append(tried[x])
                continue
            if below and above and tried[max(below)] == tried[min(above)]:
                out.append(tried[max(below)])
                continue
            tried[x] = _run_peer(lambda: self.factory(x), s, self.cap)[1]
            out.append(tried[x])
        return out

    def arl(self, x: float) -> float:
        return float(np.mean([self.cap if t is None else t for t in self.times(x)]))


def _match(
    arl: Callable[[float], float], low: float, high: float, target: float, rising: bool
) -> float:
    """The parameter (between ``low`` and ``high``, widened if needed) whose ARL is ``target``.

    Regula falsi (Illinois) on ``log ARL``; ``rising`` says whether ARL grows with it.
    """
    sign = 1.0 if rising else -1.0

    def f(x: float) -> float:
        return sign * (math.log(arl(x)) - math.log(target))

    f_low, f_high = f(low), f(high)
    for _ in range(8):
        if f_low > 0:
            low, high, f_high = low - (high - low), low, f_low
            f_low = f(low)
        elif f_high < 0:
            low, high, f_low = high, high + (high - low), f_high
            f_high = f(high)
    if f_low > 0 or f_high < 0:
        raise ConfigurationError("bench guard: could not match the peer's run length")
    best, error = (low, -f_low) if -f_low < f_high else (high, f_high)
    side = 0
    for _ in range(6):
        x = high - f_high * (high - low) / (f_high - f_low)
        fx = f(x)
        if abs(fx) < error:
            best, error = x, abs(fx)
        if error < 0.02:
            break
        if fx < 0:
            low, f_low = x, fx
            f_high = f_high / 2 if side == -1 else f_high
            side = -1
        else:
            high, f_high = x, fx
            f_low = f_low / 2 if side == 1 else f_low
            side = 1
    return best


def _river() -> Any:
    try:
        from river import drift
    except ImportError:
        raise ConfigurationError("the benchmark needs river: pip install river") from None
    return drift


def run_sequential_bench(
    targets: tuple[int, ...] = (2000, 10_000),
    peer_target: int | None = 2000,
    shifts: tuple[float, ...] = (0.5, 1.0),
    features: int = 20,
    reference_rows: int = 5000,
    change_at: int = 500,
    null_runs: int = 400,
    shift_runs: int = 200,
    peer_runs: tuple[int, int] = (100, 100),
    seed: int = 0,
) -> SequentialBenchResult:
    """Run the comparison; ``peer_runs`` = (no-drift, shifted) runs of each river detector.

    ``peer_target=None`` leaves river out.
    """
    if features < 1 or change_at < 1 or null_runs < 1 or shift_runs < 1 or not targets:
        raise ConfigurationError("bench guard needs features, change_at, runs >= 1 and targets")
    drift = _river() if peer_target is not None else None
    start = time.perf_counter()
    config = _Config(features, change_at, tuple(shifts), seed)
    ref_g = np.random.default_rng((seed, _REFERENCE))
    reference = ref_g.normal(size=(reference_rows, features))
    rows = []
    for target in targets:
        t0 = time.perf_counter()
        det = SequentialDrift(expected_run_length=target, seed=seed).fit(reference)
        fit_s = time.perf_counter() - t0
        setting = f"h={det.threshold_:.2f} (fit {fit_s:.1f} s)"

        def ours(s: _Stream, limit: int, det: SequentialDrift = det) -> tuple[int, int | None]:
            return _run_ours(det, s, limit)

        t0 = time.perf_counter()
        cap = _CENSOR * target
        null = [ours(s, cap)[1] for s in _null_streams(config, null_runs)]
        null_s = time.perf_counter() - t0
        row = _evaluate("driftguard", setting, ours, target, null, shift_runs, config)
        rows.append(replace(row, seconds=row.seconds + fit_s + null_s))
    if drift is not None and peer_target is not None:
        rows += _peers(drift, peer_target, peer_runs, config)
    elapsed = time.perf_counter() - start
    return SequentialBenchResult(
        features, reference_rows, change_at, tuple(shifts), tuple(rows), elapsed
    )


def _peers(
    drift: Any, target: int, runs: tuple[int, int], config: _Config
) -> list[SequentialBenchRow]:
    """PageHinkley (``threshold``) and ADWIN (``log delta``) tuned in-sample to ``target``."""
    scale = target / 2000
    peers: list[tuple[str, Callable[[float], Any], tuple[float, float], bool]] = [
        (
            "river PageHinkley",
            lambda x: drift.PageHinkley(threshold=x),
            (80.0 * math.sqrt(scale), 125.0 * math.sqrt(scale)),
            True,
        ),
        (
            "river ADWIN",
            lambda x: drift.ADWIN(delta=math.exp(x)),
            (math.log(0.04 / scale), math.log(0.15 / scale)),
            False,
        ),
    ]
    rows = []
    for name, factory, (low, high), rising in peers:
        start = time.perf_counter()
        tuning = _Tuning(factory, _null_streams(config, runs[0]), _CENSOR * target)
        x = _match(tuning.arl, low, high, float(target), rising)
        setting = f"threshold={x:.1f}" if rising else f"delta={math.exp(x):.3g}"
        fit_s = time.perf_counter() - start

        def theirs(
            s: _Stream, limit: int, factory: Callable[[float], Any] = factory, x: float = x
        ) -> tuple[int, int | None]:
            return _run_peer(lambda: factory(x), s, limit)

        row = _evaluate(name, setting, theirs, target, tuning.times(x), runs[1], config)
        rows.append(replace(row, seconds=row.seconds + fit_s))
    return rows
