"""Send Alertmanager-shaped notifications to a webhook, off the evaluation path.

Payloads go to a bounded queue; one daemon thread POSTs them with the standard library's HTTP
client. A full queue drops the payload and counts it; a failed delivery is retried a few
times with backoff, then counted as failed. Nothing here blocks the guard.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from driftguard.errors import ConfigurationError

__all__ = ["WebhookSender"]

log = logging.getLogger("driftguard.guard")


class WebhookSender:
    """POST JSON payloads to ``url`` from a background thread.

    Parameters
    ----------
    url : str
        The receiver (``http://`` or ``https://``).
    max_queue : int, default 100
        Payloads waiting; more are dropped and counted in ``dropped_``.
    timeout : float, default 5.0
        Seconds per attempt.
    retries : int, default 3
        Attempts per payload.

    Examples
    --------
    >>> WebhookSender("http://127.0.0.1:9/hook").sent_
    0
    """

    def __init__(
        self, url: str, max_queue: int = 100, timeout: float = 5.0, retries: int = 3
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"webhook url must start with http:// or https://: {url!r}")
        self.url = url
        self.max_queue = max_queue
        self.timeout = timeout
        self.retries = retries
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self.sent_ = 0
        self.failed_ = 0
        self.dropped_ = 0

    def send(self, payload: dict[str, Any]) -> bool:
        """Queue a payload; ``False`` (and counted) when the queue is full."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="driftguard-webhook", daemon=True
            )
            self._thread.start()
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            self.dropped_ += 1
            return False
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (up to ``timeout``) and stop the thread."""
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            if payload is None:
                return
            self._deliver(payload)

    def _deliver(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        for attempt in range(self.retries):
            request = urllib.request.Request(
                self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                self.sent_ += 1
                return
            except (urllib.error.URLError, OSError) as exc:
                log.warning("webhook %s: attempt %d failed: %s", self.url, attempt + 1, exc)
                time.sleep(min(2.0, 0.2 * 2**attempt))
        self.failed_ += 1
