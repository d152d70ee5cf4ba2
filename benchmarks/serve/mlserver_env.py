"""MLServer for ``driftguard bench serve``: its own virtual environment and model repository.

MLServer and its scikit-learn runtime are installed with pip into a separate virtual
environment (their web stack pins differ from driftguard's), with the same scikit-learn
version as this environment so that the estimator saved here loads there unchanged, and with
uvloop below 0.22, which MLServer 1.7's parallel inference workers need. A stamp
file marks a finished installation, so later runs reuse it.

The model repository holds ``settings.json`` (ports on 127.0.0.1, optional
``parallel_workers``) and one model folder with ``model-settings.json`` (runtime
``mlserver_sklearn.SKLearnModel``, answering ``predict_proba``) and ``model.joblib``, a file
this benchmark writes and reads itself.

Examples
--------
>>> import json, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     root = write_settings(Path(tmp), "m", ports=(8080, 8081, 8082), parallel_workers=0)
...     settings = json.loads((root / "settings.json").read_text())
...     model = json.loads((root / "m" / "model-settings.json").read_text())
>>> settings["http_port"], settings["parallel_workers"], model["parameters"]["uri"]
(8080, 0, './model.joblib')
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from driftguard.errors import ConfigurationError

__all__ = ["MODEL_FILE", "ensure_mlserver", "mlserver_defaults", "save_model", "write_settings"]

MODEL_FILE = "model.joblib"
STAMP = ".driftguard-mlserver.json"
#: uvloop 0.22+ breaks MLServer 1.7's inference workers ("There is no current event loop",
#: https://github.com/SeldonIO/MLServer/issues/2286), so the older uvloop is kept.
PACKAGES = ("mlserver", "mlserver-sklearn", "uvloop<0.22")


def _sklearn_version() -> str:
    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        raise ConfigurationError(
            "bench serve needs scikit-learn: pip install 'driftguard[sklearn]'"
        ) from None


def _run(command: list[str], log: Path, what: str) -> None:
    with log.open("ab") as out:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    if done.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise ConfigurationError(
            f"{what} failed (exit {done.returncode}); see {log}:\n" + "\n".join(tail)
        )


def ensure_mlserver(venv: Path, say: Callable[[str], None]) -> Path:
    """The ``mlserver`` executable of ``venv``, installing MLServer there when needed."""
    sklearn = _sklearn_version()
    executable = venv / "bin" / "mlserver"
    stamp = venv / STAMP
    wanted = {"packages": list(PACKAGES), "scikit-learn": sklearn}
    try:
        if executable.exists() and json.loads(stamp.read_text()) == wanted:
            say(f"MLServer: reusing {venv}")
            return executable
    except (OSError, ValueError):
        pass
    if venv.exists() and not venv.is_dir():
        raise ConfigurationError(f"--mlserver-venv {venv}: exists and is not a directory")
    venv.mkdir(parents=True, exist_ok=True)
    log = venv / "pip-install.log"
    say(f"MLServer: creating a virtual environment in {venv}")
    _run([sys.executable, "-m", "venv", str(venv)], log, f"python -m venv {venv}")
    requirements = [*PACKAGES, f"scikit-learn=={sklearn}"]
    say(f"MLServer: pip install {' '.join(requirements)} (a few minutes; log in {log})")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    _run([*pip, *requirements], log, "pip install " + " ".join(requirements))
    if not executable.exists():
        raise ConfigurationError(f"pip installed MLServer but {executable} is missing")
    stamp.write_text(json.dumps(wanted))
    say("MLServer: installed")
    return executable


def write_settings(
    root: Path,
    name: str,
    *,
    ports: tuple[int, int, int],
    parallel_workers: int | None = None,
) -> Path:
    """Write the server and model settings under ``root``; return ``root``.

    ``ports`` are the HTTP, gRPC and metrics ports; ``parallel_workers=None`` keeps
    MLServer's default.
    """
    http_port, grpc_port, metrics_port = ports
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "http_port": http_port,
        "grpc_port": grpc_port,
        "metrics_port": metrics_port,
        "load_models_at_startup": True,
    }
    if parallel_workers is not None:
        settings["parallel_workers"] = parallel_workers
    model_settings = {
        "name": name,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": f"./{MODEL_FILE}", "extra": {"predict_fn": "predict_proba"}},
    }
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / "settings.json").write_text(json.dumps(settings, indent=2))
    (root / name / "model-settings.json").write_text(json.dumps(model_settings, indent=2))
    return root


def save_model(root: Path, name: str, estimator: Any) -> Path:
    """Save the (trusted, self-made) estimator with joblib where the runtime loads it."""
    path = root / name / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    importlib.import_module("joblib").dump(estimator, path)
    return path


_DEFAULTS_PROBE = (
    "import json, mlserver; from mlserver.settings import Settings; s = Settings(); "
    "print(json.dumps({'version': mlserver.__version__, 'parallel_workers': s.parallel_workers, "
    "'debug': s.debug, 'metrics_endpoint': s.metrics_endpoint}))"
)


def mlserver_defaults(venv: Path, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """MLServer's version and the defaults of the settings the benchmark reports."""
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", _DEFAULTS_PROBE],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    try:
        found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise ConfigurationError(
            f"cannot read MLServer's settings in {venv}: {done.stderr.strip()[-300:]}"
        ) from None
    return found
