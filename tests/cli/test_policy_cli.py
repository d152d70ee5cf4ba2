"""``driftguard policy``: the loader's run lengths, and its refusals, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftguard.cli.main import main

SLOW_ROLLBACK = """\
version: 1
mode: rollback
rules:
  - name: d
    signal: input_drift
    confirm: {k: 3, m: 5}
    action: rollback
"""


def test_default_policy_states_a_year_per_rollback_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy"]) == 0
    out = capsys.readouterr().out
    assert "traffic 1000 rows/s in 250-row windows" in out
    drift = next(line for line in out.splitlines() if line.startswith("input-drift"))
    assert drift.split()[:4] == ["input-drift", "rollback", "cusum", "h"]
    assert "1.26e+08" in drift
    assert drift.endswith("1.0 years")


def test_times_follow_the_traffic_given(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--rows-per-s", "10", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["traffic"] == {"rows_per_s": 10.0, "window_rows": 250}
    drift = next(r for r in doc["rules"] if r["rule"] == "input-drift")
    assert drift["target"] == "365d"
    assert drift["seconds"] == pytest.approx(drift["windows"] / (10 / 250))


def test_a_fast_rollback_rule_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(SLOW_ROLLBACK, encoding="utf-8")
    assert main(["policy", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: rule 'd' would roll back a good model every 7 min (1608 windows)" in err
    assert "Traceback" not in err
    path.write_text(SLOW_ROLLBACK.replace("rules:", "false_rollback_floor: 0\nrules:"), "utf-8")
    assert main(["policy", str(path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("d "))
    assert "k_of_m" in row
    assert "1.61e+03" in row


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["policy", "--window-rows", "0"], "window_rows must be a positive integer"),
        (["policy", "--rows-per-s", "-5"], "rows_per_s must be positive"),
        (["policy", "/nonexistent/policy.yaml"], "cannot read the policy file"),
    ],
)
def test_bad_input_is_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
