"""``driftguard train`` and ``driftguard models``, end to end on a real local registry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from driftguard.cli.main import main


def _write_csv(path: Path, n: int = 400, seed: int = 0, target_fill: str | None = None) -> Path:
    g = np.random.default_rng(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x1", "x2", "city", "member", "label"])
        for i in range(n):
            x1, x2 = g.normal(), g.normal()
            city = g.choice(["paris", "oslo", "rome"])
            member = g.choice(["true", "false"])
            score = x1 + 0.8 * x2 + (0.7 if city == "oslo" else 0.0)
            label = "yes" if score + g.normal(scale=0.4) > 0 else "no"
            if target_fill is not None and i % 50 == 0:
                label = target_fill
            writer.writerow([f"{x1:.4f}", f"{x2:.4f}", city, member, label])
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_register_promote_rollback_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write_csv(tmp_path / "train.csv")
    reg = str(tmp_path / "registry")
    common = ["--data", str(data), "--target", "label", "--name", "churn", "--registry", reg]
    code, out, _ = _run(capsys, "train", *common, "--model", "logreg", "--json")
    assert code == 0
    first = json.loads(out)
    assert first["version"] == 1
    assert set(first["metrics"]) == {
        "accuracy",
        "nll",
        "brier",
        "ece_before_ts",
        "ece_after_ts",
        "mean_confidence",
    }
    assert first["metrics"]["accuracy"] > 0.7

    code, out, _ = _run(capsys, "models", "promote", "churn", "1", "--registry", reg, "--json")
    assert code == 0
    code, out, _ = _run(
        capsys,
        "train",
        *common,
        "--model",
        "mlp",
        "--epochs",
        "5",
        "--dropout",
        "0.1",
        "--promote",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["version"] == 2

    code, out, _ = _run(capsys, "models", "show", "churn", "--registry", reg, "--json")
    shown = json.loads(out)
    assert shown["manifest"]["version"] == 2
    assert set(shown["manifest"]["metrics"]["test"]) >= {"accuracy", "nll", "ece_after_ts"}

    code, out, _ = _run(capsys, "models", "rollback", "churn", "--registry", reg, "--json")
    assert code == 0
    assert "1" in out  # back to version 1, the known-good one
    code, out, _ = _run(capsys, "models", "list", "churn", "--registry", reg, "--json")
    assert len(json.loads(out)) == 2
    code, out, _ = _run(capsys, "models", "audit", "churn", "--registry", reg, "--json")
    actions = [record["action"] for record in json.loads(out)]
    assert "rollback" in actions
    code, out, _ = _run(capsys, "models", "verify", "--registry", reg)
    assert code == 0, out

    card = next((tmp_path / "registry").rglob("MODEL_CARD.md"))
    text = card.read_text()
    assert "# Model card: churn" in text
    assert "Calibration" in text
    weights = next((tmp_path / "registry").rglob("model.skops"))
    blob = bytearray(weights.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    weights.write_bytes(bytes(blob))
    code, out, _ = _run(capsys, "models", "verify", "--registry", reg, "--json")
    assert code == 1
    assert "model.skops" in out


def test_registry_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTGUARD_REGISTRY", str(tmp_path / "envreg"))
    data = _write_csv(tmp_path / "train.csv", n=200)
    code, _, _ = _run(
        capsys,
        "train",
        "--data",
        str(data),
        "--target",
        "label",
        "--name",
        "m",
        "--model",
        "logreg",
    )
    assert code == 0
    assert (tmp_path / "envreg").is_dir()


@pytest.mark.parametrize(
    ("extra", "fill", "needle"),
    [
        (["--target", "nope"], None, "nope"),
        (["--target", "label"], "", "missing"),
        (["--target", "label", "--dropout", "0.2", "--model", "logreg"], None, "--dropout"),
        (["--target", "label", "--model", "svm_x"], None, "svm_x"),
    ],
    ids=["unknown-target", "missing-target-values", "torch-flag-on-sklearn", "unknown-model"],
)
def test_train_user_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    fill: str | None,
    needle: str,
) -> None:
    data = _write_csv(tmp_path / "train.csv", n=200, target_fill=fill)
    code, _out, err = _run(
        capsys,
        "train",
        "--data",
        str(data),
        "--name",
        "m",
        "--registry",
        str(tmp_path / "r"),
        *extra,
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("driftguard: error:"), err
    assert needle in lines[0]
    assert "Traceback" not in err


def test_single_class_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "one.csv"
    path.write_text("x,label\n" + "".join(f"{i},a\n" for i in range(50)))
    code, _, err = _run(
        capsys,
        "train",
        "--data",
        str(path),
        "--target",
        "label",
        "--name",
        "m",
        "--registry",
        str(tmp_path / "r"),
        "--model",
        "logreg",
    )
    assert code == 2
    assert "single class" in err
