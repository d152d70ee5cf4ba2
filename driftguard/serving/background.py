"""The service's two background threads: the registry watcher and the evaluator.

The watcher calls :meth:`ModelHost.refresh` every ``watch_interval`` seconds, so an ACTIVE
change written by another process (a CLI rollback, another replica, Alertmanager's webhook)
is hot-swapped in. The evaluator drains every monitor's queue every ``drain_interval``
seconds (closing and checking full windows) and looks at open windows every
``look_interval`` seconds. Both survive errors (logged and counted) and stop promptly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from driftguard.errors import ConfigurationError
from driftguard.serving.host import ModelHost

__all__ = ["Background"]

log = logging.getLogger("driftguard.serving")


class Background:
    """Start and stop the watcher and evaluator threads of a :class:`ModelHost`.

    Parameters
    ----------
    host : ModelHost
        What to watch and evaluate.
    watch_interval : float, default 1.0
        Seconds between registry polls.
    drain_interval : float, default 0.2
        Seconds between folds of queued rows into windows.
    look_interval : float, default 10.0
        Seconds between checks of the open windows.
    hooks : sequence of callables
        Called after every evaluator step (the guard's policy step).

    Examples
    --------
    >>> import tempfile
    >>> from driftguard.registry import Registry
    >>> loops = Background(ModelHost(Registry(tempfile.mkdtemp())), watch_interval=0.05)
    >>> loops.start().stop()
    >>> loops.errors_
    0
    """

    def __init__(
        self,
        host: ModelHost,
        watch_interval: float = 1.0,
        drain_interval: float = 0.2,
        look_interval: float = 10.0,
        hooks: Sequence[Callable[[], object]] = (),
    ) -> None:
        self.host = host
        self.hooks = tuple(hooks)
        self.watch_interval = watch_interval
        self.drain_interval = drain_interval
        self.look_interval = look_interval
        for name in ("watch_interval", "drain_interval", "look_interval"):
            if not getattr(self, name) > 0:
                raise ConfigurationError(f"{name} must be positive, got {getattr(self, name)}")
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors_ = 0
        self._last_look = 0.0

    def start(self) -> Background:
        """Start both threads (daemon threads; :meth:`stop` joins them)."""
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._loop, args=(self.watch_interval, self._watch),
                             name="driftguard-watcher", daemon=True),
            threading.Thread(target=self._loop, args=(self.drain_interval, self._evaluate),
                             name="driftguard-evaluator", daemon=True),
        ]  # fmt: skip
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask both threads to stop and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def _loop(self, interval: float, step: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                step()
            except Exception:  # a background failure must never kill the thread
                self.errors_ += 1
                log.exception("background step failed")
            self._stop.wait(interval)

    def _watch(self) -> None:
        self.host.refresh()

    def _evaluate(self) -> None:
        models = self.host.monitors()
        for model in models:
            assert model.monitor is not None
            model.monitor.drain()
        self.host.process_shadows()
        for hook in self.hooks:
            hook()
        now = time.monotonic()
        if now - self._last_look >= self.look_interval:
            self._last_look = now
            for model in models:
                assert model.monitor is not None
                model.monitor.look()

    def run_once(self) -> None:
        """One watcher and one evaluator step, now (tests and the demo use it)."""
        self._watch()
        self._last_look = 0.0
        self._evaluate()
