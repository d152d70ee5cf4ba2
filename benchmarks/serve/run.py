"""``driftguard bench serve``: driftguard's service, monitoring on and off, against MLServer.

One run trains logistic regression on scikit-learn's breast_cancer data, registers and
promotes it, then starts each server in turn as a real process on 127.0.0.1 (one at a time,
fresh ports) and drives it with this process's keep-alive load generator
(:mod:`benchmarks.serve.loadgen`): a warm-up, then a measured period, with the same Open Inference
Protocol v2 request bytes for every server. The servers are

* ``driftguard serve --workers 1`` with ``DRIFTGUARD_MONITORING=true`` and ``false``;
* MLServer's scikit-learn runtime serving the same fitted estimator, from its own virtual
  environment (installed on the first run), with MLServer's default settings and, labelled
  as such, with ``parallel_workers=0`` (inference inline in the HTTP process).

Inherited ``DRIFTGUARD_*`` and ``MLSERVER_*`` variables are dropped, so every server runs
with its defaults plus the settings named here. Before timing, each server answers every data
set row once and its classes are compared with driftguard's in-process predictions.
``--repeat K`` runs the servers round-robin K times and reports the median per server.
Targets are reported, never enforced: monitoring costs at most 10% of throughput, and
driftguard with monitoring serves at least as many requests per second as MLServer.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.serve.loadgen import LoadResult, http_request, run_load
from benchmarks.serve.mlserver_env import (
    ensure_mlserver,
    mlserver_defaults,
    save_model,
    write_settings,
)
from benchmarks.serve.model import MODEL, BenchModel, predicted_classes, prepare_model
from benchmarks.serve.report import ratios, report, summarise
from benchmarks.serve.servers import HOST, free_port, http_call, serving
from driftguard.errors import ConfigurationError

__all__ = ["run_bench_serve"]

INFER_PATH = f"/v2/models/{MODEL}/infer"


@dataclass(frozen=True)
class _Target:
    key: str
    server: str
    configuration: str
    monitoring: bool = True
    parallel_workers: int | None = None


@dataclass
class _Context:
    model: BenchModel
    workdir: Path
    driftguard_command: Sequence[str]
    mlserver: Path | None = None


def _say(message: str) -> None:
    print(f"bench serve: {message}", file=sys.stderr, flush=True)


def _targets(defaults: dict[str, Any] | None) -> list[_Target]:
    targets = [
        _Target("driftguard_monitoring_on", "driftguard", "monitoring on"),
        _Target("driftguard_monitoring_off", "driftguard", "monitoring off", monitoring=False),
    ]
    if defaults is not None:
        described = (
            f"MLServer {defaults['version']} defaults (parallel_workers="
            f"{defaults['parallel_workers']}, debug={defaults['debug']}, metrics on)"
        )
        targets += [
            _Target("mlserver_defaults", "mlserver", described),
            _Target(
                "mlserver_inline",
                "mlserver",
                "parallel_workers=0 (inference inline in the HTTP process)",
                parallel_workers=0,
            ),
        ]
    return targets


def _mlserver_env() -> dict[str, str]:
    """The environment minus ``MLSERVER_*`` settings (driftguard's are dropped likewise)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MLSERVER_")}


@contextlib.contextmanager
def _started(target: _Target, ctx: _Context) -> Iterator[int]:
    port = free_port()
    log = ctx.workdir / f"{target.key}.log"
    if target.server == "driftguard":
        command = [
            *ctx.driftguard_command,
            "serve",
            "--registry",
            str(ctx.model.registry),
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGUARD_")}
        env["DRIFTGUARD_MONITORING"] = "true" if target.monitoring else "false"
        env["DRIFTGUARD_ADMIN_TOKEN"] = secrets.token_urlsafe(24)  # unused; stops generation
        with serving(
            "driftguard serve", command, port=port, ready_path="/v2/health/ready", log=log, env=env
        ):
            yield port
        return
    assert ctx.mlserver is not None
    root = ctx.workdir / "mlserver"
    ports = (port, free_port(), free_port())
    write_settings(root, MODEL, ports=ports, parallel_workers=target.parallel_workers)
    command = [str(ctx.mlserver), "start", str(root)]
    ready = f"/v2/models/{MODEL}/ready"
    with serving(
        "mlserver",
        command,
        port=port,
        ready_path=ready,
        log=log,
        env=_mlserver_env(),
        cwd=root,
        timeout=120.0,
    ):
        yield port


def _verify(target: _Target, port: int, model: BenchModel) -> str:
    """Send every row once; compare the classes with driftguard's in-process predictions."""
    n = len(model.rows)
    status, raw = http_call(port, "POST", INFER_PATH, model.body(n), timeout=60.0)
    if not 200 <= status < 300:
        raise ConfigurationError(
            f"{target.server} ({target.configuration}) answered {status} to an inference "
            f"request: {raw[:300]!r}"
        )
    try:
        classes = predicted_classes(json.loads(raw), n, len(model.labels))
    except ValueError:
        classes = None
    if classes is None:
        return "unread"
    agree = int(sum(int(a == b) for a, b in zip(classes, model.expected.tolist(), strict=True)))
    if agree != n and target.server == "mlserver":
        raise ConfigurationError(f"MLServer's classes differ from driftguard's on {n - agree} rows")
    return f"{agree}/{n}"


def _validate(
    duration: float, warmup: float, connections: int, rows_per_request: int, repeat: int
) -> None:
    if not duration > 0:
        raise ConfigurationError(f"--duration must be > 0 seconds, got {duration}")
    if not warmup >= 0:
        raise ConfigurationError(f"--warmup must be >= 0 seconds, got {warmup}")
    if not 1 <= connections <= 1024:
        raise ConfigurationError(f"--connections must be in 1..1024, got {connections}")
    if not 1 <= rows_per_request <= 100_000:
        raise ConfigurationError(f"--rows-per-request must be in 1..100000, got {rows_per_request}")
    if repeat < 1:
        raise ConfigurationError(f"--repeat must be >= 1, got {repeat}")


def run_bench_serve(
    *,
    duration: float = 10.0,
    warmup: float = 2.0,
    connections: int = 16,
    rows_per_request: int = 1,
    repeat: int = 1,
    skip_mlserver: bool = False,
    mlserver_venv: Path = Path(".venv-mlserver"),
    as_json: bool = False,
    driftguard_command: Sequence[str] | None = None,
) -> int:
    """Measure every server, print the table (or JSON) and the ratios; return 0.

    ``driftguard_command`` is how to run the ``driftguard`` CLI (default: this interpreter's
    ``python -m driftguard.cli.main``).
    """
    _validate(duration, warmup, connections, rows_per_request, repeat)
    cpus = len(os.sched_getaffinity(0))
    load_before = os.getloadavg()[0]
    command = list(driftguard_command or [sys.executable, "-m", "driftguard.cli.main"])
    venv = mlserver_venv.absolute()
    mlserver = None if skip_mlserver else ensure_mlserver(venv, _say)
    with tempfile.TemporaryDirectory(prefix="driftguard-bench-serve-") as tmp:
        workdir = Path(tmp)
        _say("training logistic regression on breast_cancer and promoting it")
        ctx = _Context(prepare_model(workdir), workdir, command, mlserver)
        defaults = None
        if mlserver is not None:
            (workdir / "mlserver").mkdir()
            save_model(workdir / "mlserver", MODEL, ctx.model.pipeline)
            defaults = mlserver_defaults(venv, workdir / "mlserver", _mlserver_env())
        targets = _targets(defaults)
        body = ctx.model.body(rows_per_request)
        results: dict[str, list[LoadResult]] = {t.key: [] for t in targets}
        checks: dict[str, str] = {}
        for round_ in range(repeat):
            for t in targets:
                _say(f"round {round_ + 1}/{repeat}: {t.server} ({t.configuration}): starting")
                with _started(t, ctx) as port:
                    if t.key not in checks:
                        checks[t.key] = _verify(t, port, ctx.model)
                        _say(f"  classes agree with driftguard's predictions: {checks[t.key]}")
                    _say(f"  ready on port {port}; {warmup:g} s warm-up + {duration:g} s measured")
                    request = http_request("POST", HOST, port, INFER_PATH, body)
                    result = run_load(
                        HOST,
                        port,
                        request,
                        connections=connections,
                        warmup=warmup,
                        duration=duration,
                    )
                results[t.key].append(result)
                _say(
                    f"  {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                    f"p99 {result.p99_ms:.2f} ms, {result.errors} errors"
                )
    rows = summarise([(t.key, t.server, t.configuration) for t in targets], results, checks)
    found = ratios(rows)
    settings = {
        "model": f"{MODEL}: logistic regression on breast_cancer (30 numeric features)",
        "rows_per_request": rows_per_request,
        "connections": connections,
        "warmup_s": warmup,
        "duration_s": duration,
        "repeat": repeat,
        "cpus": cpus,
        "load_average_before": load_before,
        "mlserver": defaults,
    }
    if as_json:
        print(json.dumps({"settings": settings, "servers": rows, **found}, indent=2))
        return 0
    header = (
        f"bench serve: {settings['model']}\n{rows_per_request} row(s) per request, "
        f"{connections} keep-alive connections, {warmup:g} s warm-up + {duration:g} s measured "
        f"per server, {repeat} round(s) (median shown); one server at a time on 127.0.0.1, "
        f"load generator in this process; {cpus} CPUs, load average {load_before:.2f} before"
        "\n"
    )
    print(report(header, rows, found))
    if load_before > cpus / 2:
        print(
            f"warning: the load average was {load_before:.2f} on {cpus} CPUs before the run; "
            "other processes compete with the servers, so these numbers are noisy"
        )
    if defaults is not None:
        print(
            "note: driftguard serve --workers 1 is one process; MLServer with parallel_workers "
            "> 0 adds that many inference worker processes behind its HTTP process."
        )
    return 0
