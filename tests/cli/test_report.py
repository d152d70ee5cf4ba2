"""``driftguard report`` and the window route it reads (issue 7, part 4).

The route runs in-process (``TestClient``); the report runs offline on files against the
``cancer`` checkpoint, against a real ``driftguard serve`` process, and on a small model with a
categorical feature. Mistakes run the real console script in a subprocess: exit status 2, one
line that names the problem, no traceback and no file left behind.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import cancer_columns, clean_window, drifted_window
from driftguard_service.app import create_app
from driftguard_service.routers.window import MAX_ROWS
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from live_server import ADMIN_TOKEN, LiveServers, clean_env, driftguard_command, free_port

from driftguard.cli.main import main
from driftguard.cli.report_data import conform, read_current
from driftguard.registry import Registry

TOKEN = "w" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FEATURES = [k for k in cancer_columns() if k != "target"]
EVIDENTLY_MARKERS = ("window.drawDashboard(", "Data Drift")


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _drifted_count(out: str) -> tuple[int, int]:
    found = re.search(r"drifted columns: (\d+) of (\d+)", out)
    assert found is not None, out
    return int(found.group(1)), int(found.group(2))


def _report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["report", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --------------------------------------------------------------------------------------------
# the route


@pytest.fixture
def client(cancer_registry: Path) -> Iterator[TestClient]:
    settings = Settings(registry=cancer_registry, admin_token=TOKEN, nonfinite="count")
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 60
        while client.get("/v2/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "the service did not become ready within 60 s"
            time.sleep(0.05)
        yield client


def test_window_route_guards_and_bounds(client: TestClient) -> None:
    assert client.get("/models/cancer/window").status_code == 401
    wrong = {"Authorization": "Bearer " + "x" * 20}
    assert client.get("/models/cancer/window", headers=wrong).status_code == 401
    assert client.get("/models/cancer/window?rows=0").status_code == 401  # token checked first
    response = client.get("/models/nope/window", headers=AUTH)
    assert response.status_code == 404
    assert "'nope'" in response.json()["error"]
    for rows in ("0", "-3", str(MAX_ROWS + 1), "many"):
        response = client.get(f"/models/cancer/window?rows={rows}", headers=AUTH)
        assert response.status_code == 422, rows
        assert response.json()["location"] == "rows"
    empty = client.get("/models/cancer/window", headers=AUTH).json()
    assert empty["n_rows"] == 0
    assert empty["columns"] == {f: [] for f in FEATURES}


def test_window_returns_the_rows_sent_newest_kept(client: TestClient) -> None:
    first, second, third = clean_window(0)[:7], clean_window(1)[:5], clean_window(2)[:4]
    second[2] = {**second[2], "mean_area": None}  # counted, not refused (nonfinite="count")
    ids = []
    for rows in (first, second, third):
        response = client.post("/predict/cancer", json={"records": rows})
        assert response.status_code == 200, response.text
        ids.append(response.json()["request_id"])
    # the second request is labelled: its rows move from the prediction log to feedback
    labelled = client.post("/feedback", json={"request_id": ids[1], "label": ["0"] * 5})
    assert labelled.status_code == 200, labelled.text

    body = client.get("/models/cancer/window", headers=AUTH).json()
    sent = first + second + third
    assert (body["model"], body["version"], body["generation"]) == ("cancer", 1, 1)
    assert body["n_rows"] == len(sent) == 16
    assert list(body["columns"]) == FEATURES
    for feature in FEATURES:
        assert body["columns"][feature] == [r[feature] for r in sent], feature
    assert body["columns"]["mean_area"][7 + 2] is None

    newest = client.get("/models/cancer/window?rows=6", headers=AUTH).json()
    assert newest["n_rows"] == 6
    tail = (second + third)[-6:]
    assert newest["columns"]["mean_radius"] == [r["mean_radius"] for r in tail]


# --------------------------------------------------------------------------------------------
# the report, offline


@pytest.mark.slow
def test_report_offline_drifted_data_shows_more_drift(
    cancer_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = _write_csv(tmp_path / "clean.csv", clean_window(0) + clean_window(1))
    drifted = _write_jsonl(tmp_path / "drifted.jsonl", drifted_window(2) + drifted_window(3))
    reservoir = Registry(cancer_registry).open("cancer", 1).profile().reservoir_
    n_reference = len(reservoir["mean_radius"])
    assert n_reference > 300  # the training split's rows
    counts = {}
    for label, current in (("clean", clean), ("drifted", drifted)):
        out = tmp_path / label / "report.html"
        out.parent.mkdir()
        status, printed, err = _report(
            capsys, "cancer", "--current", str(current), "--registry", str(cancer_registry),
            "--out", str(out),
        )  # fmt: skip
        assert status == 0, err
        html = out.read_text(encoding="utf-8")
        assert all(marker in html for marker in EVIDENTLY_MARKERS)
        assert all(feature in html for feature in FEATURES)
        assert f"wrote {out}" in printed
        assert f"cancer version 1 checkpoint sample, {n_reference} rows" in printed
        assert f"{current}, 172 rows" in printed
        counts[label] = _drifted_count(printed)
        assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no temp file left
    assert counts["clean"][1] == counts["drifted"][1] == len(FEATURES)
    assert counts["drifted"][0] > counts["clean"][0]
    assert counts["drifted"][0] >= 25  # every feature x 1.5: nearly all columns drift
    assert counts["clean"][0] <= 5


def test_report_categorical_features_keep_their_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from driftguard.training.pipeline import train_table

    g = np.random.default_rng(0)
    n = 300
    city = g.choice(["paris", "oslo", "rome"], size=n)
    x1 = g.normal(size=n)
    label = np.where(x1 + (city == "oslo") > 0.3, "yes", "no")
    registry = Registry(tmp_path / "registry")
    run = train_table(
        {"x1": x1, "city": city, "label": label}, "label", name="shop", model="logreg",
        profile_resamples=50,
    )  # fmt: skip
    registry.register("shop", run.draft, actor="test")
    registry.promote("shop", 1, actor="test")
    rows = [{"x1": float(v), "city": "berlin" if i % 2 else "oslo"} for i, v in enumerate(x1[:60])]
    current = _write_csv(tmp_path / "shop.csv", rows)
    monkeypatch.chdir(tmp_path)
    status, printed, err = _report(
        capsys, "shop", "--current", str(current), "--registry", str(registry.root)
    )
    assert status == 0, err
    html = (tmp_path / "report-shop-v1.html").read_text(encoding="utf-8")  # the default name
    assert all(label in html for label in ("berlin", "oslo", "paris"))
    assert "chi-square p_value" in html  # Evidently was told city is categorical
    assert _drifted_count(printed) == (1, 2)  # city drifted (half unseen), x1 did not
    assert "(city)" in printed


def test_current_files_are_typed_by_the_schema(tmp_path: Path) -> None:
    from driftguard.schema.features import infer_schema

    schema = infer_schema({"x": np.arange(40.0), "c": np.array(["a", "b"] * 20)}, categorical=["c"])
    rows = [{"x": 1.5, "c": "a"}, {"x": None, "c": None}]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    (tmp_path / "r.csv").write_text("x,c\n1.5,a\nNA,\n")
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"x": [1.5, np.nan], "c": ["a", None]}).to_parquet(tmp_path / "r.parquet")
    for name in ("r.jsonl", "r.csv", "r.parquet"):
        cols = conform(schema, read_current(tmp_path / name), name)
        assert cols["x"][0] == 1.5, name
        assert math.isnan(cols["x"][1]), name
        assert cols["c"].tolist() == ["a", ""], name
    (tmp_path / "bad.csv").write_text("x,c\nabc,a\n")
    with pytest.raises(Exception, match=r"bad\.csv: column 'x': non-numeric value 'abc'"):
        conform(schema, read_current(tmp_path / "bad.csv"), "bad.csv")
    (tmp_path / "bad.jsonl").write_text('{"x": 1, "c": "a"}\n{"x": 2}\n')
    with pytest.raises(Exception, match=r"line 2: keys \['x'\] differ"):
        read_current(tmp_path / "bad.jsonl")


def test_missing_extras_say_what_to_install(
    cancer_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    current = _write_csv(tmp_path / "clean.csv", clean_window(0))
    monkeypatch.setitem(__import__("sys").modules, "evidently", None)
    out = tmp_path / "r.html"
    status, _, err = _report(
        capsys, "cancer", "--current", str(current), "--registry", str(cancer_registry),
        "--out", str(out),
    )  # fmt: skip
    assert status == 2
    assert "pip install 'driftguard[reports]'" in err
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# the report against a real service


@pytest.fixture
def servers() -> Iterator[LiveServers]:
    live = LiveServers()
    yield live
    live.stop_all()


@pytest.mark.slow
def test_report_from_a_live_service(
    cancer_registry: Path, servers: LiveServers, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = servers.start(cancer_registry)
    online = ["--url", server.url, "--token", ADMIN_TOKEN, "--registry", str(cancer_registry)]
    out = tmp_path / "live.html"
    status, _, err = _report(capsys, "cancer", *online, "--out", str(out))
    assert status == 2
    assert "0 current rows; a report needs at least 30 (send more traffic" in err
    status, _, err = _report(capsys, "nope", *online, "--out", str(out))
    assert status == 2
    assert "404 model 'nope' is not served here" in err
    assert not out.exists()

    sent = drifted_window(0) + drifted_window(1)
    with server.client() as http:
        for start in range(0, len(sent), 43):
            response = http.post("/predict/cancer", json={"records": sent[start : start + 43]})
            assert response.status_code == 200, response.text
    status, printed, err = _report(capsys, "cancer", *online, "--out", str(out))
    assert status == 0, err
    assert f"{server.url} window of version 1, {len(sent)} rows" in printed
    assert _drifted_count(printed)[0] >= 25
    html = out.read_text(encoding="utf-8")
    assert all(marker in html for marker in EVIDENTLY_MARKERS)
    # the rows in the report are the rows the service saw
    window = httpx.get(f"{server.url}/models/cancer/window", headers=server.auth(), timeout=30)
    assert window.json()["columns"]["mean_radius"] == [r["mean_radius"] for r in sent]


# --------------------------------------------------------------------------------------------
# mistakes: exit 2, one line naming the problem, no traceback, no file


def _mistakes(registry: Path, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    few = _write_csv(tmp_path / "few.csv", clean_window(0)[:12])
    enough = clean_window(0)[:40]
    mismatched = _write_csv(
        tmp_path / "mismatched.csv",
        [{**{k: v for k, v in r.items() if k != "mean_area"}, "target": 1} for r in enough],
    )
    good = _write_csv(tmp_path / "good.csv", enough)
    out = str(tmp_path / "out" / "r.html")
    offline = ["--registry", str(registry), "--out", out]
    dead = f"http://127.0.0.1:{free_port()}"
    return {
        "unknown model": (["nope", "--current", str(good), *offline], "model 'nope'"),
        "unknown version": (
            ["cancer", "--version", "9", "--current", str(good), *offline],
            "version 9",
        ),
        "unreachable": (
            ["cancer", "--url", dead, "--token", ADMIN_TOKEN, *offline],
            "cannot reach the service",
        ),
        "too few rows": (["cancer", "--current", str(few), *offline], "12 current rows"),
        "columns": (
            ["cancer", "--current", str(mismatched), *offline],
            "missing mean_area; not in the schema target",
        ),
        "no file": (["cancer", "--current", str(tmp_path / "none.csv"), *offline], "no such file"),
        "out folder": (
            [
                "cancer",
                "--current",
                str(good),
                "--registry",
                str(registry),
                "--out",
                str(tmp_path / "missing" / "r.html"),
            ],
            "folder",
        ),
    }


SUBPROCESS = frozenset({"unreachable", "columns"})  # the console script itself, as users run it


def test_mistakes_exit_2_with_one_line(
    cancer_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").mkdir()
    for label, (argv, expected) in _mistakes(cancer_registry, tmp_path).items():
        if label in SUBPROCESS:
            done = subprocess.run(
                [*driftguard_command(), "report", *argv],
                capture_output=True, text=True, env=clean_env(), timeout=120,
            )  # fmt: skip
            status, err = done.returncode, done.stderr
        else:
            status, _, err = _report(capsys, *argv)
        assert status == 2, (label, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, (label, err)
        assert lines[0].startswith("driftguard: error: "), (label, lines)
        assert expected in lines[0], (label, lines)
        assert "Traceback" not in err
        assert list((tmp_path / "out").iterdir()) == [], label
    assert not (tmp_path / "missing").exists()


def test_the_report_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    from driftguard.cli.report import write_atomic

    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "r.html", "<html></html>")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # readable like any file open() makes
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left
