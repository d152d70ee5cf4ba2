"""The ``driftguard`` command line: verdicts, output formats, exit codes and user errors.

Every test works on real CSV / Parquet files written to a temporary directory. Most calls go
through ``driftguard.cli.main.main`` in-process (fast); a few run the real console script as a
subprocess (``python -m driftguard.cli.main`` and the installed ``driftguard`` entry point) so
that exit codes and stderr are checked end to end.
"""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from driftguard.cli.main import main

REF_ROWS = 3000
CUR_ROWS = 500  # within the calibrated window sizes of a 3000-row reference
FAST = ("--resamples", "200")
COLUMNS = ("shifted", "stable", "color", "flag", "code")
TABLE_HEADER = ("feature", "method", "score", "threshold", "p-value", "p-holm", "drift")
ENTRY_POINT = Path(sys.executable).parent / "driftguard"


# --------------------------------------------------------------------------------------------
# data and files


def make_columns(seed: int, n: int, shift: float = 0.0) -> dict[str, np.ndarray]:
    """Five columns: two numeric, one text, one boolean, one numeric-coded category."""
    g = np.random.default_rng(seed)
    return {
        "shifted": g.normal(shift, 1.0, size=n),
        "stable": g.normal(10.0, 2.0, size=n),
        "color": g.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2]),
        "flag": g.random(n) < 0.3,
        "code": g.integers(1, 4, size=n),
    }


def _cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def csv_rows(cols: dict[str, np.ndarray]) -> list[list[str]]:
    """Header plus data rows as CSV cells."""
    return [list(cols), *([_cell(v) for v in row] for row in zip(*cols.values(), strict=True))]


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_parquet(path: Path, cols: dict[str, np.ndarray]) -> Path:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pd.DataFrame(cols).to_parquet(path)
    return path


@dataclass(frozen=True)
class Files:
    root: Path
    ref: Path  # 3000 reference rows
    drifted: Path  # 500 rows, "shifted" moved by one standard deviation
    clean: Path  # 500 fresh rows from the reference distribution
    ref_rows: list[list[str]]
    cur_rows: list[list[str]]  # the rows of ``clean``
    ref_cols: dict[str, np.ndarray]
    drifted_cols: dict[str, np.ndarray]
    clean_cols: dict[str, np.ndarray]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    root = tmp_path_factory.mktemp("cli")
    ref_cols = make_columns(0, REF_ROWS)
    drifted_cols = make_columns(1, CUR_ROWS, shift=1.0)
    clean_cols = make_columns(2, CUR_ROWS)
    ref_rows, cur_rows = csv_rows(ref_cols), csv_rows(clean_cols)
    return Files(
        root=root,
        ref=write_csv(root / "ref.csv", ref_rows),
        drifted=write_csv(root / "drifted.csv", csv_rows(drifted_cols)),
        clean=write_csv(root / "clean.csv", cur_rows),
        ref_rows=ref_rows,
        cur_rows=cur_rows,
        ref_cols=ref_cols,
        drifted_cols=drifted_cols,
        clean_cols=clean_cols,
    )


@pytest.fixture(scope="module")
def parquet(files: Files) -> dict[str, Path]:
    """The same three data sets as Parquet (bool and int64 dtypes kept)."""
    return {
        "ref": write_parquet(files.root / "ref.parquet", files.ref_cols),
        "drifted": write_parquet(files.root / "drifted.parquet", files.drifted_cols),
        "clean": write_parquet(files.root / "clean.parquet", files.clean_cols),
    }


# --------------------------------------------------------------------------------------------
# helpers


def run_main(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Call ``main`` in-process; return (exit status, stdout, stderr)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: object) -> dict[str, Any]:
    status, out, err = run_main(capsys, "drift", *args, "--json", *FAST)
    assert status == 0, err
    assert err == ""
    return strict_json(out)


def strict_json(text: str) -> dict[str, Any]:
    """Parse JSON, refusing the non-standard NaN / Infinity constants."""

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON constant {token!r} in --json output")

    doc = json.loads(text, parse_constant=refuse)
    assert isinstance(doc, dict)
    return doc


def run_cli(*args: object, script: Path | None = None, timeout: float = 120) -> Any:
    """Run the real command in a subprocess (``python -m`` unless ``script`` is given)."""
    command = [str(script)] if script else [sys.executable, "-m", "driftguard.cli.main"]
    return subprocess.run(
        [*command, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def parse_table(out: str) -> dict[str, dict[str, str]]:
    """The per-feature table as {feature: {column: cell}}."""
    lines = out.splitlines()
    header = lines[0].split()
    assert header[:5] == list(TABLE_HEADER[:5]), lines[0]
    assert header[5].startswith("p-"), lines[0]
    assert header[6:] == ["drift"], lines[0]
    assert set(lines[1]) <= {"-", " "}
    rows: dict[str, dict[str, str]] = {}
    for line in lines[2:]:
        if not line.strip():
            break
        cells = line.split()
        assert len(cells) == len(TABLE_HEADER), line
        rows[cells[0]] = dict(zip(TABLE_HEADER, cells, strict=True))
    return rows


def dataset_verdict(out: str) -> str:
    found = re.findall(r"^Dataset: (DRIFT|no drift)\b", out, flags=re.MULTILINE)
    assert len(found) == 1, out
    return found[0]


def assert_user_error(status: int, out: str, err: str, *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``driftguard: error:`` line naming the culprit."""
    assert status == 2, (status, out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.strip()
    assert line.startswith("driftguard: error:"), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert out == ""
    return line


# --------------------------------------------------------------------------------------------
# the real console script


def test_module_subprocess_reports_drift_in_table(files: Files) -> None:
    proc = run_cli("drift", files.ref, files.drifted, *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = parse_table(proc.stdout)
    assert set(rows) == set(COLUMNS)
    assert rows["shifted"]["drift"] == "DRIFT"
    assert rows["stable"]["drift"] == "-"
    assert dataset_verdict(proc.stdout) == "DRIFT"


def test_entry_point_subprocess_json_on_clean_data(files: Files) -> None:
    assert ENTRY_POINT.is_file(), f"console script not installed at {ENTRY_POINT}"
    proc = run_cli("drift", files.ref, files.clean, "--json", *FAST, script=ENTRY_POINT)
    assert proc.returncode == 0, proc.stderr
    doc = strict_json(proc.stdout)
    assert doc["drift"] is False
    assert not any(f["drift"] for f in doc["features"].values())


def test_entry_point_fail_on_drift_exits_1(files: Files) -> None:
    proc = run_cli("drift", files.ref, files.drifted, "--fail-on-drift", *FAST, script=ENTRY_POINT)
    assert proc.returncode == 1, proc.stderr
    assert dataset_verdict(proc.stdout) == "DRIFT"
    assert "Traceback" not in proc.stderr


def test_subprocess_unknown_option_exits_2(files: Files) -> None:
    proc = run_cli("drift", files.ref, files.clean, "--no-such-option")
    assert proc.returncode == 2
    assert "unrecognized arguments: --no-such-option" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_exits_0() -> None:
    proc = run_cli("--help", script=ENTRY_POINT)
    assert proc.returncode == 0, proc.stderr
    for command in ("drift", "demo", "bench"):
        assert command in proc.stdout
    proc = run_cli("drift", "--help")
    assert proc.returncode == 0, proc.stderr
    for option in ("--json", "--alpha", "--categorical", "--correction", "--fail-on-drift"):
        assert option in proc.stdout


def test_csv_input_does_not_import_pandas(files: Files) -> None:
    code = (
        "import sys\n"
        "from driftguard.cli.main import main\n"
        f"status = main(['drift', {str(files.ref)!r}, {str(files.clean)!r}, '--json',"
        " '--resamples', '200'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'pyarrow'})\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY=\n" in proc.stderr, proc.stderr


# --------------------------------------------------------------------------------------------
# verdicts, table and JSON (in-process)


def test_table_flags_the_shifted_column_only(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_main(capsys, "drift", files.ref, files.drifted, *FAST)
    assert (status, err) == (0, "")
    rows = parse_table(out)
    assert next(iter(rows)) == "shifted"  # most drifted first
    assert rows["shifted"]["drift"] == "DRIFT"
    assert {name for name, row in rows.items() if row["drift"] == "DRIFT"} == {"shifted"}
    assert rows["shifted"]["method"] == "wasserstein"
    assert rows["stable"]["method"] == "wasserstein"
    assert rows["color"]["method"] == "psi"
    assert rows["flag"]["method"] == "psi"
    assert rows["code"]["method"] == "wasserstein"  # numeric-coded stays numeric by default
    assert dataset_verdict(out) == "DRIFT"
    assert "(1/5 features drifted" in out


def test_table_on_clean_data_says_no_drift(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_main(capsys, "drift", files.ref, files.clean, *FAST)
    assert (status, err) == (0, "")
    rows = parse_table(out)
    assert all(row["drift"] == "-" for row in rows.values())
    assert dataset_verdict(out) == "no drift"


def test_json_shape_and_types(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, files.ref, files.drifted)
    assert {"drift", "share_drifted", "features"} <= set(doc)
    assert isinstance(doc["drift"], bool)
    assert isinstance(doc["share_drifted"], float)
    assert doc["n_rows"] == CUR_ROWS
    assert doc["alpha"] == pytest.approx(0.05)
    assert doc["correction"] == "holm"
    assert isinstance(doc["calibrated"], bool)
    assert set(doc["dataset"]) == {"score", "threshold", "p_value"}
    assert list(doc["features"]) == list(COLUMNS)
    for name, feature in doc["features"].items():
        assert {"method", "score", "threshold", "p_value", "drift"} <= set(feature), name
        assert isinstance(feature["method"], str)
        assert isinstance(feature["drift"], bool)
        for key in ("score", "threshold", "p_value", "p_adjusted", "min_effect"):
            assert isinstance(feature[key], float), (name, key)
            assert math.isfinite(feature[key]), (name, key)
        assert 0.0 < feature["p_value"] <= feature["p_adjusted"] <= 1.0
        assert feature["score"] >= 0.0
    drifted = sum(f["drift"] for f in doc["features"].values())
    assert doc["share_drifted"] == pytest.approx(drifted / len(doc["features"]))


def test_json_verdicts(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, files.ref, files.drifted)
    features = doc["features"]
    assert doc["drift"] is True
    assert features["shifted"]["drift"] is True
    assert features["shifted"]["score"] > features["shifted"]["threshold"]
    assert features["stable"]["drift"] is False
    assert features["color"]["method"] == "psi"
    assert features["flag"]["method"] == "psi"
    assert features["shifted"]["method"] == "wasserstein"
    assert doc["share_drifted"] == pytest.approx(1 / 5)

    clean = run_json(capsys, files.ref, files.clean)
    assert clean["drift"] is False
    assert clean["share_drifted"] == 0.0
    assert not any(f["drift"] for f in clean["features"].values())


def test_table_and_json_agree(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(capsys, "drift", files.ref, files.drifted, *FAST)
    doc = run_json(capsys, files.ref, files.drifted)
    rows = parse_table(out)
    for name, feature in doc["features"].items():
        assert rows[name]["method"] == feature["method"]
        assert (rows[name]["drift"] == "DRIFT") is feature["drift"]
    assert (dataset_verdict(out) == "DRIFT") is doc["drift"]


def test_categorical_option_makes_numeric_codes_labels(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(capsys, files.ref, files.clean, "--categorical", "code")
    assert doc["features"]["code"]["method"] == "psi"
    assert doc["features"]["stable"]["method"] == "wasserstein"
    both = run_json(capsys, files.ref, files.clean, "--categorical", "code", "stable")
    assert both["features"]["code"]["method"] == "psi"
    assert both["features"]["stable"]["method"] == "psi"


def test_categorical_code_shift_is_detected(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cols = dict(files.clean_cols)
    cols["code"] = np.where(np.arange(CUR_ROWS) % 2 == 0, 3, cols["code"])
    current = write_csv(tmp_path / "cur.csv", csv_rows(cols))
    doc = run_json(capsys, files.ref, current, "--categorical", "code")
    assert doc["features"]["code"]["method"] == "psi"
    assert doc["features"]["code"]["drift"] is True
    assert doc["drift"] is True


@pytest.mark.parametrize("correction", ["holm", "bh", "none"])
def test_correction_option(
    files: Files, capsys: pytest.CaptureFixture[str], correction: str
) -> None:
    status, out, _ = run_main(
        capsys, "drift", files.ref, files.drifted, "--correction", correction, *FAST
    )
    assert status == 0
    assert out.splitlines()[0].split()[5] == f"p-{correction}"
    doc = run_json(capsys, files.ref, files.drifted, "--correction", correction)
    assert doc["correction"] == correction
    assert doc["features"]["shifted"]["drift"] is True


def test_alpha_and_min_effect_reach_the_report(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = run_json(capsys, files.ref, files.drifted, "--alpha", "0.1", "--min-effect", "0.25")
    assert doc["alpha"] == pytest.approx(0.1)
    assert all(f["min_effect"] == pytest.approx(0.25) for f in doc["features"].values())
    assert doc["features"]["shifted"]["drift"] is True
    # an effect size no feature reaches silences every alarm
    huge = run_json(capsys, files.ref, files.drifted, "--min-effect", "1000")
    assert huge["drift"] is False
    assert huge["share_drifted"] == 0.0


def test_same_seed_same_output(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    first = run_json(capsys, files.ref, files.drifted, "--seed", "7")
    second = run_json(capsys, files.ref, files.drifted, "--seed", "7")
    assert first == second


def test_bins_and_max_window_options(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, files.ref, files.drifted, "--bins", "8", "--max-window", "200")
    assert doc["features"]["shifted"]["drift"] is True
    assert doc["calibrated"] is False  # 500 rows is beyond the calibrated 200


# --------------------------------------------------------------------------------------------
# --fail-on-drift


def test_fail_on_drift_exit_codes(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "drift", files.ref, files.drifted, "--fail-on-drift", *FAST)
    assert status == 1
    assert dataset_verdict(out) == "DRIFT"
    status, out, _ = run_main(capsys, "drift", files.ref, files.clean, "--fail-on-drift", *FAST)
    assert status == 0
    assert dataset_verdict(out) == "no drift"
    # without the flag drift is reported but the exit status stays 0
    status, _, _ = run_main(capsys, "drift", files.ref, files.drifted, *FAST)
    assert status == 0
    status, out, _ = run_main(
        capsys, "drift", files.ref, files.drifted, "--json", "--fail-on-drift", *FAST
    )
    assert status == 1
    assert strict_json(out)["drift"] is True


# --------------------------------------------------------------------------------------------
# Parquet


def test_parquet_gives_the_same_verdict_as_csv(
    files: Files, parquet: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for current in ("drifted", "clean"):
        from_csv = run_json(capsys, files.ref, getattr(files, current))
        from_parquet = run_json(capsys, parquet["ref"], parquet[current])
        assert from_parquet["drift"] is from_csv["drift"]
        assert from_parquet["share_drifted"] == from_csv["share_drifted"]
        assert list(from_parquet["features"]) == list(from_csv["features"])
        for name, feature in from_csv["features"].items():
            other = from_parquet["features"][name]
            assert other["method"] == feature["method"], name
            assert other["drift"] is feature["drift"], name
            assert other["score"] == pytest.approx(feature["score"], rel=1e-9, abs=1e-12), name
    assert run_json(capsys, parquet["ref"], parquet["drifted"])["drift"] is True


def test_parquet_table_output(parquet: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_main(capsys, "drift", parquet["ref"], parquet["drifted"], *FAST)
    assert (status, err) == (0, "")
    rows = parse_table(out)
    assert rows["shifted"]["drift"] == "DRIFT"
    assert rows["flag"]["method"] == "psi"
    assert rows["color"]["method"] == "psi"


@pytest.mark.parametrize("order", ["csv-parquet", "parquet-csv"])
def test_mixed_csv_and_parquet_agree_on_booleans(
    files: Files, parquet: dict[str, Path], capsys: pytest.CaptureFixture[str], order: str
) -> None:
    ref, cur = (
        (files.ref, parquet["clean"]) if order == "csv-parquet" else (parquet["ref"], files.clean)
    )
    doc = run_json(capsys, ref, cur)
    assert doc["features"]["flag"]["drift"] is False, doc["features"]["flag"]
    assert doc["drift"] is False


# --------------------------------------------------------------------------------------------
# missing values


def test_missing_values_in_numeric_columns(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = ["", "NA", "NaN", "null", "n/a", " "]

    def holes(rows: list[list[str]]) -> list[list[str]]:
        out = [rows[0]]
        for i, row in enumerate(rows[1:]):
            row = list(row)
            if i % 9 == 0:
                row[0] = tokens[i % len(tokens)]  # shifted
            if i % 13 == 0:
                row[1] = tokens[(i + 1) % len(tokens)]  # stable
            if i % 17 == 0:
                row[2] = "NA"  # color: missing label
            out.append(row)
        return out

    drifted_rows = csv_rows(files.drifted_cols)
    ref = write_csv(tmp_path / "ref.csv", holes(files.ref_rows))
    drifted = write_csv(tmp_path / "drifted.csv", holes(drifted_rows))
    clean = write_csv(tmp_path / "clean.csv", holes(files.cur_rows))

    doc = run_json(capsys, ref, drifted)
    assert doc["n_rows"] == CUR_ROWS
    assert doc["features"]["shifted"]["method"] == "wasserstein"  # still numeric
    assert doc["features"]["stable"]["method"] == "wasserstein"
    assert doc["features"]["shifted"]["drift"] is True
    assert doc["features"]["stable"]["drift"] is False
    for feature in doc["features"].values():
        assert math.isfinite(feature["score"])

    assert run_json(capsys, ref, clean)["drift"] is False
    status, out, err = run_main(capsys, "drift", ref, drifted, *FAST)
    assert (status, err) == (0, "")
    assert parse_table(out)["shifted"]["drift"] == "DRIFT"


# --------------------------------------------------------------------------------------------
# user errors (in-process): exit 2, one line on stderr naming the culprit


def _with_cell(rows: list[list[str]], row: int, col: int, value: str) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[row][col] = value
    return out


def _drop_column(rows: list[list[str]], col: int) -> list[list[str]]:
    return [r[:col] + r[col + 1 :] for r in rows]


# Each case builds files in a directory and returns (argv after "drift", needles).
ErrorCase = Callable[[Files, Path], tuple[list[object], list[str]]]


def _missing_column(f: Files, d: Path) -> tuple[list[object], list[str]]:
    cur = write_csv(d / "cur_missing.csv", _drop_column(f.cur_rows, 2))
    return [f.ref, cur], ["'color'", "cur_missing.csv"]


def _extra_column(f: Files, d: Path) -> tuple[list[object], list[str]]:
    rows = [[*f.cur_rows[0], "extra"], *([*r, "1"] for r in f.cur_rows[1:])]
    cur = write_csv(d / "cur_extra.csv", rows)
    return [f.ref, cur], ["'extra'", "cur_extra.csv"]


def _empty_current(f: Files, d: Path) -> tuple[list[object], list[str]]:
    (d / "empty.csv").write_bytes(b"")
    return [f.ref, d / "empty.csv"], ["empty.csv"]


def _empty_reference(f: Files, d: Path) -> tuple[list[object], list[str]]:
    (d / "empty_ref.csv").write_bytes(b"")
    return [d / "empty_ref.csv", f.clean], ["empty_ref.csv"]


def _header_only_current(f: Files, d: Path) -> tuple[list[object], list[str]]:
    cur = write_csv(d / "header_only.csv", [f.cur_rows[0]])
    return [f.ref, cur], ["header_only.csv"]


def _header_only_reference(f: Files, d: Path) -> tuple[list[object], list[str]]:
    ref = write_csv(d / "header_ref.csv", [f.ref_rows[0]])
    return [ref, f.clean], ["header_ref.csv"]


def _non_numeric_current(f: Files, d: Path) -> tuple[list[object], list[str]]:
    cur = write_csv(d / "cur_abc.csv", _with_cell(f.cur_rows, 8, 1, "abc"))
    return [f.ref, cur], ["'stable'", "'abc'", "cur_abc.csv", "row 9"]


def _mixed_reference(f: Files, d: Path) -> tuple[list[object], list[str]]:
    ref = write_csv(d / "ref_mixed.csv", _with_cell(f.ref_rows, 5, 1, "abc"))
    return [ref, f.clean], ["'stable'", "ref_mixed.csv", "--categorical stable"]


def _unknown_categorical(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [f.ref, f.clean, "--categorical", "no_such_col"], ["no_such_col", "--categorical"]


def _missing_reference_file(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [d / "nowhere_ref.csv", f.clean], ["nowhere_ref.csv"]


def _missing_current_file(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [f.ref, d / "nowhere.csv"], ["nowhere.csv"]


def _too_few_rows(f: Files, d: Path) -> tuple[list[object], list[str]]:
    ref = write_csv(d / "ref_five.csv", f.ref_rows[:6])
    return [ref, f.clean], ["ref_five.csv"]


def _wrong_field_count(f: Files, d: Path) -> tuple[list[object], list[str]]:
    rows = [list(r) for r in f.cur_rows]
    rows[4] = rows[4][:2]
    cur = write_csv(d / "cur_fields.csv", rows)
    return [f.ref, cur], ["cur_fields.csv", "2 fields"]


def _bad_alpha(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [f.ref, f.clean, "--alpha", "1.5"], ["alpha", "1.5"]


def _zero_alpha(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [f.ref, f.clean, "--alpha", "0"], ["alpha"]


def _few_resamples(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [f.ref, f.clean, "--resamples", "5"], ["--resamples"]


def _zero_bins(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [f.ref, f.clean, "--bins", "0"], ["--bins"]


def _bad_max_window(f: Files, d: Path) -> tuple[list[object], list[str]]:
    return [f.ref, f.clean, "--max-window", "0"], ["--max-window"]


def _duplicate_header(f: Files, d: Path) -> tuple[list[object], list[str]]:
    rows = [list(r) for r in f.ref_rows]
    rows[0][1] = "shifted"
    ref = write_csv(d / "ref_dupes.csv", rows)
    return [ref, f.clean], ["ref_dupes.csv", "shifted"]


def _not_utf8(f: Files, d: Path) -> tuple[list[object], list[str]]:
    (d / "latin1.csv").write_bytes(
        "shifted,stable,color,flag,code\n1,2,caf\xe9,true,1\n".encode("latin-1")
    )
    return [f.ref, d / "latin1.csv"], ["latin1.csv"]


def _all_missing_reference_column(f: Files, d: Path) -> tuple[list[object], list[str]]:
    rows = [list(r) for r in f.ref_rows]
    for row in rows[1:]:
        row[1] = ""
    ref = write_csv(d / "ref_blank.csv", rows)
    return [ref, f.clean], ["'stable'"]


def _garbage_parquet(f: Files, d: Path) -> tuple[list[object], list[str]]:
    pytest.importorskip("pandas")
    (d / "junk.parquet").write_bytes(b"this is not parquet")
    return [f.ref, d / "junk.parquet"], ["junk.parquet"]


def _parquet_text_in_numeric(f: Files, d: Path) -> tuple[list[object], list[str]]:
    cols = dict(f.clean_cols)
    cols["stable"] = np.array(["abc"] * CUR_ROWS, dtype=object)
    cur = write_parquet(d / "cur_text.parquet", cols)
    return [f.ref, cur], ["'stable'", "cur_text.parquet"]


ERROR_CASES: list[Any] = [
    pytest.param(_missing_column, id="column-missing-from-current"),
    pytest.param(_extra_column, id="extra-column-in-current"),
    pytest.param(_empty_current, id="empty-current-file"),
    pytest.param(_empty_reference, id="empty-reference-file"),
    pytest.param(_header_only_current, id="header-only-current"),
    pytest.param(_header_only_reference, id="header-only-reference"),
    pytest.param(_non_numeric_current, id="non-numeric-in-current"),
    pytest.param(_mixed_reference, id="mixed-column-in-reference"),
    pytest.param(_unknown_categorical, id="unknown-categorical"),
    pytest.param(_missing_reference_file, id="missing-reference-file"),
    pytest.param(_missing_current_file, id="missing-current-file"),
    pytest.param(
        _too_few_rows,
        id="too-few-reference-rows-names-file",
    ),
    pytest.param(_wrong_field_count, id="wrong-field-count"),
    pytest.param(_bad_alpha, id="alpha-above-1"),
    pytest.param(_zero_alpha, id="alpha-zero"),
    pytest.param(_few_resamples, id="too-few-resamples"),
    pytest.param(_zero_bins, id="zero-bins"),
    pytest.param(_bad_max_window, id="bad-max-window"),
    pytest.param(_duplicate_header, id="duplicate-header"),
    pytest.param(_not_utf8, id="not-utf8"),
    pytest.param(_all_missing_reference_column, id="all-missing-reference-column"),
    pytest.param(_garbage_parquet, id="garbage-parquet"),
    pytest.param(_parquet_text_in_numeric, id="parquet-text-in-numeric"),
]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_user_errors(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: ErrorCase
) -> None:
    argv, needles = case(files, tmp_path)
    # FAST comes first so that a case's own --resamples wins (argparse keeps the last value)
    status, out, err = run_main(capsys, "drift", *FAST, *argv)
    assert_user_error(status, out, err, *needles)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(_missing_column, id="column-missing-from-current"),
        pytest.param(_empty_current, id="empty-current-file"),
        pytest.param(_non_numeric_current, id="non-numeric-in-current"),
        pytest.param(_mixed_reference, id="mixed-column-in-reference"),
        pytest.param(_bad_alpha, id="alpha-above-1"),
    ],
)
def test_subprocess_user_errors_are_one_line(files: Files, tmp_path: Path, case: ErrorCase) -> None:
    argv, needles = case(files, tmp_path)
    proc = run_cli("drift", *FAST, *argv, script=ENTRY_POINT)
    assert_user_error(proc.returncode, proc.stdout, proc.stderr, *needles)


def test_too_few_reference_rows_is_a_user_error(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = write_csv(tmp_path / "ref_five.csv", files.ref_rows[:6])
    status, out, err = run_main(capsys, "drift", ref, files.clean, *FAST)
    assert_user_error(status, out, err, "5 rows", "20")


def test_bench_rejects_tiny_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_main(capsys, "bench", "drift", "--rows", "10")
    assert_user_error(status, out, err, "rows")


@pytest.mark.parametrize(
    "argv",
    [
        ["drift", "a.csv", "b.csv", "--no-such-option"],
        ["drift", "a.csv"],
        ["drift", "a.csv", "b.csv", "--correction", "bonferroni"],
        ["drift", "a.csv", "b.csv", "--alpha", "high"],
        ["no-such-command"],
        [],
    ],
)
def test_argparse_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err
    assert "Traceback" not in err


def test_help_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["drift", "--help"])
    assert exc.value.code == 0
    assert "REFERENCE" in capsys.readouterr().out.upper()


# --------------------------------------------------------------------------------------------
# demo and bench (slow)


@pytest.mark.slow
def test_demo_subprocess() -> None:
    proc = run_cli("demo", "--drift-only", script=ENTRY_POINT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert "Summary" in out
    assert "expected DRIFT" in out
    summary = out[out.index("Summary") :]
    split_line = next(line for line in summary.splitlines() if "split by feature" in line)
    control_line = next(line for line in summary.splitlines() if "random split" in line)
    assert split_line.split(":", 1)[1].strip().startswith("DRIFT"), split_line
    assert control_line.split(":", 1)[1].strip().startswith("no drift"), control_line


@pytest.mark.slow
def test_bench_drift_subprocess() -> None:
    proc = run_cli(
        "bench", "drift", "--rows", "2000", "--features", "6", "--repeat", "1", timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for word in ("evidently", "driftguard", "speed-up"):
        assert word in proc.stdout, proc.stdout
