"""Per-client detection of black-box probing: bursts of near-duplicate queries, bounded memory.

A decision-based attacker (random search, Boundary Attack, HopSkipJump, finite-difference
gradient estimation) learns the model's decision boundary by querying many inputs that differ
only slightly from each other. Ordinary clients send different inputs, or retry the same one.

Every encoded row is *sketched* by a fixed Gaussian random projection to ``dims`` dimensions
(distances kept up to a random factor close to 1) and *hashed* exactly (64-bit multiply-sum of
its float32 bits). Per client, a ring buffer holds the sketches and hashes of its last
``history`` distinct queries. A row whose hash is in the ring is a **repeat** (a retry: counted,
not stored, never evidence). Otherwise it is a **near duplicate** when its sketch lies within
``radius_`` of a sketch in the ring; ``radius_`` is the ``radius_quantile`` of the
nearest-neighbour distances between distinct reference rows, so a reference row has another
one that close only 1% of the time (default) -- and a client's ring holds far fewer rows than
the reference. A client is **flagged** once ``min_near_duplicates`` rows of its ring are near
duplicates; the flag is sticky until :meth:`ProbeDetector.forget`.

Memory is bounded: at most ``max_clients`` unflagged clients (least recently seen evicted,
counted in ``evicted_clients_``) of about ``history * (4 * dims + 9)`` bytes each, plus at most
``max_flagged`` flagged clients kept apart at a few hundred bytes each (their ring is released
when they are flagged), so a flood of new client ids never evicts a flag, only other histories.

Limits: an attacker who rotates client identities, or interleaves enough unrelated queries to
keep fewer than ``min_near_duplicates`` near duplicates in any ``history`` window, is not seen;
legitimate clients whose inputs are naturally near-identical (slowly varying sensors) are.

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(0).normal(size=(500, 8))
>>> det = ProbeDetector(dims=8, history=32, min_near_duplicates=5).fit(x)
>>> probe = x[0] + np.random.default_rng(1).normal(scale=1e-3, size=(20, 8))
>>> v = det.observe("attacker", probe)
>>> v.flagged, v.flagged_at, det.observe("someone", x[100:150]).flagged
(True, 6, False)
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from driftguard.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFittedError,
    SerializationError,
    UnsupportedVersionError,
)
from driftguard.schema.arrays import finite_matrix
from driftguard.stats.rates import count_signal
from driftguard.types import Signal

__all__ = ["FORMAT", "VERSION", "ProbeDetector", "ProbeState", "ProbeVerdict", "fit_probe_detector"]

FORMAT = "driftguard.probe_detector"
VERSION = 1
#: Reference rows used to set the radius (a seeded subsample beyond this).
MAX_REFERENCE_ROWS = 5000
#: Estimated bytes of one client's bookkeeping besides its arrays (object, dict entry, headers).
CLIENT_OVERHEAD = 700
#: Estimated bytes of one flagged client (its ring is released).
FLAGGED_OVERHEAD = 250


@dataclass(frozen=True, slots=True)
class ProbeVerdict:
    """One client's standing after an :meth:`ProbeDetector.observe` call.

    ``near_duplicates`` counts the near-duplicate rows in the client's current ring (frozen at
    the flag), ``repeats`` the exact retries so far, ``flagged_at`` the query that raised the
    flag (1-based, None if not flagged).

    Examples
    --------
    >>> ProbeVerdict("a", 3, 0, 1, False, False, None).flagged
    False
    """

    client: str
    queries: int
    near_duplicates: int
    repeats: int
    flagged: bool
    newly_flagged: bool
    flagged_at: int | None


@dataclass(frozen=True, slots=True)
class ProbeState:
    """What to export as metrics: tracked and flagged clients, flags raised and evictions.

    Examples
    --------
    >>> ProbeState(2, ("x",), 1, 0, 0, 9000).flags_total
    1
    """

    tracked_clients: int
    flagged_clients: tuple[str, ...]
    flags_total: int
    evicted_clients: int
    evicted_flagged: int
    memory_bytes: int


class _Client:
    """One client's ring buffer of sketches, hashes and near-duplicate marks."""

    __slots__ = (
        "filled",
        "flagged_at",
        "hashes",
        "near",
        "near_count",
        "pos",
        "queries",
        "repeats",
        "sketches",
    )

    def __init__(self, history: int, dims: int) -> None:
        self.sketches = np.zeros((history, dims), dtype=np.float32)
        self.hashes = np.zeros(history, dtype=np.uint64)
        self.near = np.zeros(history, dtype=np.bool_)
        self.pos = self.filled = self.near_count = self.queries = self.repeats = 0
        self.flagged_at: int | None = None

    def release(self) -> None:
        """Drop the ring (a flagged client needs only its counters)."""
        self.sketches = np.zeros((0, 0), dtype=np.float32)
        self.hashes = np.zeros(0, dtype=np.uint64)
        self.near = np.zeros(0, dtype=np.bool_)


def _positive_int(name: str, value: int, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigurationError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _rows(name: str, x: Any, width: int | None) -> npt.NDArray[np.float32]:
    rows = finite_matrix(x, name, width, dtype=np.float32)
    return np.ascontiguousarray(rows + np.float32(0.0))  # -0.0 -> 0.0 before hashing


def _nearest_distances(s: npt.NDArray[np.float64], chunk: int = 512) -> npt.NDArray[np.float64]:
    """Distance of every row of ``s`` to its nearest other row."""
    sq = (s**2).sum(axis=1)
    out = np.empty(len(s))
    for start in range(0, len(s), chunk):
        block = s[start : start + chunk]
        d2 = sq[start : start + chunk, None] + sq[None, :] - 2.0 * block @ s.T
        d2[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf
        out[start : start + chunk] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out


class ProbeDetector:
    """Flag clients whose recent queries are bursts of near duplicates (black-box probing).

    Parameters
    ----------
    dims : int, default 16
        Sketch size. 16 keeps 95% of distances within +-35% (chi-square with 16 degrees of
        freedom) at 73 bytes per ring entry; more dims sharpen the radius at proportional
        memory and time.
    history : int, default 64
        Distinct queries remembered per client. Probing walks take hundreds of small steps, so
        64 covers several dozen of them; the cost per row is O(history * dims).
    min_near_duplicates : int, default 12
        Near-duplicate rows in the ring that raise the flag. A reference row has a near
        duplicate among all reference rows 1% of the time, among 64 random others about
        64 / n_reference as often (0.1% or less), so 12 of 64 does not happen by chance, while
        a probing walk gets there within a few dozen queries.
    radius_quantile : float, default 0.01
        Quantile of reference nearest-neighbour distances used as the near-duplicate radius.
    max_clients, max_flagged : int, default 10_000
        Unflagged clients with a ring / flagged clients kept (least recently seen evicted).
    seed : int, default 0
        Seeds the projection, the hash keys and the reference subsample.

    Attributes
    ----------
    projection_ : ndarray of shape (n_features, dims), float32
    hash_keys_ : ndarray of shape (n_features,), uint64 (odd keys of the exact row hash)
    radius_ : float
    flags_total_, evicted_clients_, evicted_flagged_ : int
    n_queries_ : int
        Rows observed in all (every client).

    Notes
    -----
    Besides :meth:`observe`, the detector keeps the common detector contract
    (:class:`~driftguard.detectors.protocol.Detector`): :meth:`update` (observe, return self),
    :meth:`signals` (``probing_clients``) and :meth:`get_params`.

    Examples
    --------
    >>> import numpy as np
    >>> det = ProbeDetector(dims=4).fit(np.random.default_rng(0).normal(size=(300, 6)))
    >>> det.projection_.shape, det.radius_ > 0
    ((6, 4), True)
    >>> row = np.ones((1, 6))
    >>> [det.observe("c", row).repeats for _ in range(3)]
    [0, 1, 2]
    >>> det.update("c", row).signals()[0].status
    'ok'
    """

    def __init__(
        self,
        dims: int = 16,
        history: int = 64,
        min_near_duplicates: int = 12,
        radius_quantile: float = 0.01,
        max_clients: int = 10_000,
        max_flagged: int = 10_000,
        seed: int = 0,
    ) -> None:
        self.dims = dims
        self.history = history
        self.min_near_duplicates = min_near_duplicates
        self.radius_quantile = radius_quantile
        self.max_clients = max_clients
        self.max_flagged = max_flagged
        self.seed = seed
        self._check_config()
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._flagged: OrderedDict[str, _Client] = OrderedDict()
        self.flags_total_ = self.evicted_clients_ = self.evicted_flagged_ = 0
        self.n_queries_ = 0

    def _check_config(self) -> None:
        _positive_int("dims", self.dims)
        _positive_int("history", self.history, low=2)
        _positive_int("min_near_duplicates", self.min_near_duplicates)
        if self.min_near_duplicates > self.history:
            raise ConfigurationError(
                f"min_near_duplicates ({self.min_near_duplicates}) exceeds history ({self.history})"
            )
        q = self.radius_quantile
        if isinstance(q, bool) or not isinstance(q, int | float | np.floating) or not 0 < q < 1:
            raise ConfigurationError(f"radius_quantile must be in (0, 1), got {q!r}")
        _positive_int("max_clients", self.max_clients)
        _positive_int("max_flagged", self.max_flagged)
        _positive_int("seed", self.seed, low=0)

    def fit(self, x_reference: Any) -> Self:
        """Draw the projection and hash keys; set ``radius_`` from the reference rows."""
        rows = np.unique(_rows("x_reference", x_reference, None), axis=0)
        if len(rows) < 2:
            raise InvalidInputError("x_reference", "needs at least 2 distinct rows")
        g = np.random.default_rng(self.seed)
        d = rows.shape[1]
        projection = g.normal(scale=1.0 / np.sqrt(self.dims), size=(d, self.dims))
        keys = g.integers(0, 2**63, size=d, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        if len(rows) > MAX_REFERENCE_ROWS:
            rows = rows[g.choice(len(rows), MAX_REFERENCE_ROWS, replace=False)]
        self.projection_ = projection.astype(np.float32)
        self.hash_keys_ = keys
        sketches = (rows @ self.projection_).astype(np.float64)
        nearest = _nearest_distances(sketches)
        self.radius_ = float(np.quantile(nearest[nearest > 0], self.radius_quantile))
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "radius_"):
            raise NotFittedError("ProbeDetector is not fitted: call fit() or from_bytes() first")

    def observe(self, client: str, x: Any) -> ProbeVerdict:
        """Record ``x`` (encoded rows, in query order) as ``client``'s queries; judge it."""
        self._fitted()
        if not isinstance(client, str) or not client:
            raise InvalidInputError("client", f"must be a non-empty string, got {client!r}")
        rows = _rows("x", x, self.projection_.shape[0])
        sketches = rows @ self.projection_
        hashes = (rows.view(np.uint32).astype(np.uint64) * self.hash_keys_).sum(axis=1)
        with self._lock:
            self.n_queries_ += len(rows)
            state = self._lookup(client)
            was_flagged = state.flagged_at is not None
            for i in range(len(rows)):
                state.queries += 1
                if state.flagged_at is None:
                    self._push(state, sketches[i], hashes[i])
                    if state.near_count >= self.min_near_duplicates:
                        self._flag(client, state)
            return ProbeVerdict(
                client,
                state.queries,
                state.near_count,
                state.repeats,
                state.flagged_at is not None,
                state.flagged_at is not None and not was_flagged,
                state.flagged_at,
            )

    def update(self, client: str, x: Any) -> Self:
        """Like :meth:`observe` (record ``client``'s queries), but return the detector."""
        self.observe(client, x)
        return self

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, verbatim (same as :meth:`config`)."""
        return self.config()

    def signals(self) -> tuple[Signal, ...]:
        """``(probing_clients,)`` (kind adversarial): flagged clients kept; breach at one.

        ``insufficient_data`` before any query; the samples are the queries observed.
        """
        with self._lock:
            flagged, queries = len(self._flagged), self.n_queries_
        if queries == 0:
            return (Signal("probing_clients", "adversarial", None, None, "insufficient_data", 0),)
        return (count_signal("probing_clients", "adversarial", flagged, queries),)

    def _lookup(self, client: str) -> _Client:
        for table in (self._flagged, self._clients):
            state = table.get(client)
            if state is not None:
                table.move_to_end(client)
                return state
        if len(self._clients) >= self.max_clients:
            self._clients.popitem(last=False)
            self.evicted_clients_ += 1
        state = self._clients[client] = _Client(self.history, self.dims)
        return state

    def _push(self, state: _Client, sketch: npt.NDArray[np.float32], h: np.uint64) -> None:
        k = state.filled
        if k and bool((state.hashes[:k] == h).any()):
            state.repeats += 1
            return
        diff = state.sketches[:k] - sketch
        near = k > 0 and float(np.einsum("ij,ij->i", diff, diff).min()) <= self.radius_**2
        pos = state.pos
        state.near_count += int(near) - int(state.near[pos])
        state.sketches[pos], state.hashes[pos], state.near[pos] = sketch, h, near
        state.pos = (pos + 1) % self.history
        state.filled = min(k + 1, self.history)

    def _flag(self, client: str, state: _Client) -> None:
        state.flagged_at = state.queries
        state.release()
        del self._clients[client]
        if len(self._flagged) >= self.max_flagged:
            self._flagged.popitem(last=False)
            self.evicted_flagged_ += 1
        self._flagged[client] = state
        self.flags_total_ += 1

    def flagged(self, client: str) -> bool:
        """Whether ``client`` is flagged (and its flag not evicted or forgotten)."""
        with self._lock:
            return client in self._flagged

    def forget(self, client: str) -> bool:
        """Drop ``client``'s history and flag; True if there was any."""
        with self._lock:
            found = self._clients.pop(client, None) or self._flagged.pop(client, None)
            return found is not None

    def clear(self) -> None:
        """Drop every client's history and flag (counters stay: they are monotonic)."""
        with self._lock:
            self._clients.clear()
            self._flagged.clear()

    def memory_bytes(self) -> int:
        """Estimated bytes held: fitted arrays, rings, flag records and client ids."""
        with self._lock:
            return self._memory()

    def _memory(self) -> int:
        fitted = self.projection_.nbytes + self.hash_keys_.nbytes if hasattr(self, "radius_") else 0
        ring = self.history * (4 * self.dims + 8 + 1) + CLIENT_OVERHEAD
        ids = sum(len(c) + 49 for table in (self._clients, self._flagged) for c in table)
        return fitted + len(self._clients) * ring + len(self._flagged) * FLAGGED_OVERHEAD + ids

    def state(self) -> ProbeState:
        """Counts for metrics export (flagged clients least recently seen first)."""
        with self._lock:
            return ProbeState(
                len(self._clients),
                tuple(self._flagged),
                self.flags_total_,
                self.evicted_clients_,
                self.evicted_flagged_,
                self._memory(),
            )

    def config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-ready."""
        names = ("dims", "history", "min_near_duplicates", "radius_quantile", "max_clients")
        names2 = ("max_flagged", "seed")
        return {name: getattr(self, name) for name in names + names2}

    def to_bytes(self) -> bytes:
        """The fitted configuration (arguments, projection, hash keys, radius) as an npz."""
        self._fitted()
        meta = json.dumps({"format": FORMAT, "version": VERSION, "config": self.config()})
        buffer = io.BytesIO()
        np.savez(
            buffer,
            meta=np.frombuffer(meta.encode(), dtype=np.uint8),
            projection=self.projection_,
            hash_keys=self.hash_keys_,
            radius=np.float64(self.radius_),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ProbeDetector:
        """Rebuild a fitted detector (no client state) from :meth:`to_bytes` output."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {k: archive[k] for k in ("meta", "projection", "hash_keys", "radius")}
            meta = json.loads(arrays["meta"].tobytes().decode())
        except Exception as exc:  # zip, npz, key, JSON and unicode errors all mean bad bytes
            raise SerializationError(f"not a probe detector file ({exc!r})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise SerializationError("not a probe detector file (format field)")
        if meta.get("version") != VERSION:
            raise UnsupportedVersionError(f"probe detector version {meta.get('version')!r}")
        try:
            det = cls(**meta["config"])
        except (TypeError, KeyError, ConfigurationError) as exc:
            raise SerializationError(f"probe detector config: {exc}") from None
        projection, keys = arrays["projection"], arrays["hash_keys"]
        radius = float(arrays["radius"])
        if (
            projection.dtype != np.float32
            or projection.ndim != 2
            or projection.shape[1] != det.dims
        ):
            raise SerializationError(f"probe detector projection of shape {projection.shape}")
        if keys.dtype != np.uint64 or keys.shape != (projection.shape[0],):
            raise SerializationError(f"probe detector hash keys of shape {keys.shape}")
        if not np.isfinite(radius) or radius <= 0:
            raise SerializationError(f"probe detector radius {radius}")
        det.projection_, det.hash_keys_, det.radius_ = projection, keys, radius
        return det


def fit_probe_detector(x_encoded_train: Any, seed: int = 0) -> ProbeDetector:
    """A :class:`ProbeDetector` with default settings fitted on encoded training rows.

    Examples
    --------
    >>> import numpy as np
    >>> det = fit_probe_detector(np.random.default_rng(0).normal(size=(200, 5)))
    >>> det.state().tracked_clients, det.dims
    (0, 16)
    """
    return ProbeDetector(seed=seed).fit(x_encoded_train)
