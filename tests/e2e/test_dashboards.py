"""The shipped monitoring files in ``dashboards/``: checked by the real tools and a real scrape.

- ``promtool check rules``, ``promtool check config`` and ``promtool test rules`` (the unit
  tests in ``dashboards/prometheus/tests/``) pass; ``amtool check-config`` passes and the
  routes send the rollback alert and the others to the intended receivers.
- Every metric name in the alert rules and in the Grafana dashboard (targets, annotations,
  templating) is declared in the ``/metrics`` output of a real service (in-process app that
  served clean and drifted traffic and took feedback), and every label they select or group by
  is one of that metric's labels in ``METRIC_NAMES``. The reverse is not required: a metric
  may be exported without a panel or a rule.
- The real scrape, fed to promtool as input series, makes ``DriftguardDriftConfirmed`` fire with
  the labels the webhook needs (``model_version``, ``generation``).
- The Grafana JSON is structurally sound (ids, grid positions, datasources) and matches its
  provisioning files. Grafana itself is not installed; its queries are parsed by promtool.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import clean_window, drifted_window
from driftguard_service.app import create_app
from driftguard_service.settings import Settings
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from promql_names import exposed_names, label_problems, metric_names, missing_names
from pydantic import SecretStr
from real_services import binary

from driftguard.metrics.names import METRIC_NAMES
from driftguard.metrics.prometheus import ServiceMetrics

pytestmark = pytest.mark.slow  # real processes and tools (make check skips them)

ROOT = Path(__file__).resolve().parents[2]
DASH = ROOT / "dashboards"
PROMETHEUS_CONFIG = DASH / "prometheus" / "prometheus.yml"
RULE_FILES = sorted((DASH / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((DASH / "prometheus" / "tests").glob("*.yml"))
ALERTMANAGER_CONFIG = DASH / "alertmanager" / "alertmanager.yml"
GRAFANA_JSON = DASH / "grafana" / "driftguard.json"
DATASOURCE_YML = DASH / "grafana" / "provisioning" / "datasources" / "driftguard.yml"
PROVIDER_YML = DASH / "grafana" / "provisioning" / "dashboards" / "driftguard.yml"
# Where dashboards/README.md tells operators to mount dashboards/grafana on the Grafana host.
GRAFANA_MOUNT = "/var/lib/grafana/dashboards/driftguard"
DATASOURCE_UID = "driftguard-prometheus"

ALERTS = {
    "DriftguardDriftConfirmed",
    "DriftguardCalibrationDegraded",
    "DriftguardAdversarialBurst",
    "DriftguardPoisonedFeedback",
    "DriftguardRollbackHappened",
    "DriftguardMetricsMissing",
}
TOKEN = "d" * 24


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a tool; a failure shows the command and everything it printed."""
    args = [str(c) for c in command]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (
        f"{' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules() -> list[dict[str, Any]]:
    return [r for path in RULE_FILES for g in load_yaml(path)["groups"] for r in g["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GRAFANA_JSON.read_text(encoding="utf-8"))
    return loaded


_PRINTF = re.compile(r'printf\s+"((?:[^"\\]|\\.)*)"')


def rule_queries() -> list[str]:
    """Rule expressions and the queries inside annotation templates (``printf "..." | query``)."""
    out = []
    for rule in rules():
        out.append(rule["expr"])
        for text in rule.get("annotations", {}).values():
            out += [q for q in _PRINTF.findall(text) if "driftguard_" in q]
    return out


def dashboard_queries() -> list[str]:
    """Every PromQL text of the dashboard: targets, annotations, templating queries."""
    board = dashboard()
    out = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    for annotation in board["annotations"]["list"]:
        out += [annotation["expr"], annotation["target"]["expr"]]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            out += [variable["definition"], variable["query"]["query"]]
    return out


# --------------------------------------------------------------------------------------------
# promtool and amtool


def test_promtool_check_rules() -> None:
    done = run(binary("promtool"), "check", "rules", *RULE_FILES)
    assert f"SUCCESS: {len(ALERTS)} rules found" in done.stdout


def test_promtool_check_config() -> None:
    done = run(binary("promtool"), "check", "config", PROMETHEUS_CONFIG)
    assert "is valid prometheus config file syntax" in done.stdout
    config = load_yaml(PROMETHEUS_CONFIG)
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "driftguard"
    assert job["metrics_path"] == "/metrics"
    assert job["scrape_interval"] == "15s"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:8000"]}]
    resolved = {(PROMETHEUS_CONFIG.parent / f).resolve() for f in config["rule_files"]}
    assert resolved == {p.resolve() for p in RULE_FILES}
    targets = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["127.0.0.1:9093"]


def test_promtool_test_rules() -> None:
    assert RULE_TESTS
    done = run(binary("promtool"), "test", "rules", *RULE_TESTS)
    assert "SUCCESS" in done.stdout


def test_rule_unit_tests_cover_firing_and_quiet_cases_of_every_alert() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == ALERTS
    assert quiet == ALERTS


def test_rules_shape() -> None:
    by_name = {r["alert"]: r for r in rules()}
    assert set(by_name) == ALERTS
    for name, rule in by_name.items():
        assert {"for", "keep_firing_for"} <= set(rule), name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name
        assert rule["annotations"]["dashboard"] == "/dashboard", name
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
    drift = by_name["DriftguardDriftConfirmed"]
    assert drift["labels"] == {"severity": "critical", "driftguard_action": "rollback"}
    assert (drift["for"], drift["keep_firing_for"]) == ("10m", "5m")
    # instant gauges only: the end-to-end test shortens `for` and keeps expressions as they are
    assert "[" not in drift["expr"]
    assert 'role="active"' in drift["expr"]
    assert "group_left (generation)" in drift["expr"]
    rollback = [n for n, r in by_name.items() if "driftguard_action" in r["labels"]]
    assert rollback == ["DriftguardDriftConfirmed"]
    assert by_name["DriftguardMetricsMissing"]["labels"]["severity"] == "critical"
    assert by_name["DriftguardRollbackHappened"]["labels"]["severity"] == "info"


def test_promtool_version_supports_keep_firing_for() -> None:
    done = run(binary("promtool"), "--version")
    found = re.search(r"version (\d+)\.(\d+)", done.stdout)
    assert found is not None, done.stdout
    assert (int(found[1]), int(found[2])) >= (2, 42), done.stdout


def test_amtool_check_config_and_routes() -> None:
    amtool = binary("amtool")
    done = run(amtool, "check-config", ALERTMANAGER_CONFIG)
    assert "SUCCESS" in done.stdout
    for labels, receiver in (
        (
            ["alertname=DriftguardDriftConfirmed", "driftguard_action=rollback"],
            "driftguard-rollback",
        ),
        (["alertname=DriftguardCalibrationDegraded", "severity=warning"], "driftguard-notify"),
        (["alertname=DriftguardMetricsMissing", "severity=critical"], "driftguard-notify"),
    ):
        done = run(
            amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
            f"--verify.receivers={receiver}", "model_name=cancer", *labels,
        )  # fmt: skip
        assert done.stdout.strip() == receiver


def test_alertmanager_config_shape() -> None:
    config = load_yaml(ALERTMANAGER_CONFIG)
    route = config["route"]
    assert route["group_by"] == ["alertname", "model_name"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == (
        "10s",
        "1m",
        "4h",
    )
    assert route["receiver"] == "driftguard-notify"
    assert route["routes"][0]["matchers"] == ['driftguard_action="rollback"']
    assert route["routes"][0]["receiver"] == "driftguard-rollback"
    receivers = {r["name"]: r for r in config["receivers"]}
    assert set(receivers) == {"driftguard-rollback", "driftguard-notify"}
    for receiver in receivers.values():
        (hook,) = receiver["webhook_configs"]
        assert hook["url"] == "http://127.0.0.1:8000/alerts/alertmanager"
        assert hook["send_resolved"] is True
        assert hook["max_alerts"] == 0
        auth = hook["http_config"]["authorization"]
        assert auth == {"type": "Bearer", "credentials_file": "/etc/driftguard/admin-token"}
    (inhibit,) = config["inhibit_rules"]
    assert inhibit["source_matchers"] == ['alertname="DriftguardMetricsMissing"']


# --------------------------------------------------------------------------------------------
# the name checks themselves


def _small_scrape() -> str:
    registry = CollectorRegistry()
    ServiceMetrics(registry).request("/predict/{name}", 200, "m", "1", 0.001)
    return generate_latest(registry).decode()


def test_extractor_finds_names_and_skips_label_matchers() -> None:
    expr = (
        'sum by (le) (rate(driftguard_http_request_duration_seconds_bucket{model_name=~"a"}[5m]))'
        ' and on () ALERTS{driftguard_action="rollback"} and driftguard_model_info == 1'
    )
    assert metric_names(expr) == {
        "driftguard_http_request_duration_seconds_bucket",
        "driftguard_model_info",
    }
    assert label_problems(expr, METRIC_NAMES) == []


def test_a_wrong_metric_name_is_caught() -> None:
    exposed = exposed_names(_small_scrape())
    assert "driftguard_http_requests_total" in exposed
    assert "driftguard_http_request_duration_seconds_bucket" in exposed
    assert "driftguard_http_requests" not in exposed  # a counter's series end in _total
    good = "sum(rate(driftguard_http_requests_total[5m]))"
    wrong = "sum(rate(driftguard_http_request_total[5m]))"  # deliberately misspelt
    assert missing_names([good], exposed) == {}
    assert missing_names([good, wrong], exposed) == {"driftguard_http_request_total": [wrong]}
    assert label_problems(wrong, METRIC_NAMES) == [
        "driftguard_http_request_total: not in METRIC_NAMES"
    ]


def test_a_wrong_label_is_caught() -> None:
    problems = label_problems('driftguard_http_requests_total{model="x"}', METRIC_NAMES)
    assert problems == [
        "driftguard_http_requests_total: no label 'model' (has ['endpoint', 'instance', "
        "'job', 'model_name', 'model_version', 'status_class'])"
    ]
    expr = "sum by (status) (rate(driftguard_http_requests_total[5m]))"
    assert label_problems(expr, METRIC_NAMES) == [
        "by (status): driftguard_http_requests_total has no label 'status'"
    ]
    expr = "sum by (le) (rate(driftguard_inference_rows_total[5m]))"  # not a histogram
    assert label_problems(expr, METRIC_NAMES) == [
        "by (le): driftguard_inference_rows_total has no label 'le'"
    ]
    expr = "driftguard_probing_flags_total * on (model_name) driftguard_probing_flags_total"
    assert label_problems(expr, METRIC_NAMES) == [
        "on (model_name): no metric in the expression has it"
    ]
    replaced = 'label_replace(driftguard_model_info{role="active"}, "reason", "x", "", "")'
    assert label_problems(f"sum by (reason) ({replaced})", METRIC_NAMES) == []
    expr = 'sum by (reason) (driftguard_model_info{role="active"})'
    assert label_problems(expr, METRIC_NAMES) == [
        "by (reason): driftguard_model_info has no label 'reason'"
    ]
    expr = "label_values(driftguard_model_active_version, model_version)"
    assert label_problems(expr, METRIC_NAMES) == [
        "driftguard_model_active_version: no label 'model_version' (has ['instance', 'job', "
        "'model_name'])"
    ]


# --------------------------------------------------------------------------------------------
# against the real /metrics


@pytest.fixture(scope="module")
def scrape(
    _cancer_registry_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``/metrics`` of a service that saw one clean and one drifted window and some feedback."""
    root = tmp_path_factory.mktemp("dashboards") / "registry"
    shutil.copytree(_cancer_registry_template, root)
    settings = Settings(registry=root, admin_token=SecretStr(TOKEN), guard_rollback=False)
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 30
        while client.get("/v2/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.05)
        for rows in (clean_window(0), drifted_window(1)):  # one full window each
            response = client.post("/predict/cancer", json={"records": rows})
            assert response.status_code == 200, response.text
        labelled = clean_window(2)[:40]
        response = client.post(
            "/feedback", json={"model": "cancer", "records": labelled, "label": [0, 1] * 20}
        )
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 30
        while True:
            text = client.get("/metrics").text
            if (
                'driftguard_monitor_windows_closed_total{model_name="cancer",model_version="1"} 2.0'
                in text
            ):
                break
            assert time.monotonic() < deadline, "two windows did not close within 30 s"
            time.sleep(0.1)
        yield text


def test_every_rule_metric_exists_in_the_real_metrics(scrape: str) -> None:
    exposed = exposed_names(scrape)
    queries = rule_queries()
    assert missing_names(queries, exposed) == {}
    used = set().union(*(metric_names(q) for q in queries))
    assert {"driftguard_signal_status", "driftguard_model_info"} <= used
    for query in queries:
        assert label_problems(query, METRIC_NAMES) == [], query


def test_every_dashboard_metric_exists_in_the_real_metrics(scrape: str) -> None:
    exposed = exposed_names(scrape)
    queries = dashboard_queries()
    assert missing_names(queries, exposed) == {}
    for query in queries:
        assert label_problems(query, METRIC_NAMES) == [], query
    used = set().union(*(metric_names(q) for q in queries))
    wanted = {
        "driftguard_http_requests_total",
        "driftguard_http_request_duration_seconds_bucket",
        "driftguard_inference_duration_seconds_bucket",
        "driftguard_drift_feature_score",
        "driftguard_drift_feature_threshold",
        "driftguard_drift_dataset_score_ratio",
        "driftguard_drift_dataset_threshold_ratio",
        "driftguard_signal_status",
        "driftguard_adversarial_flagged_total",
        "driftguard_adversarial_rows_total",
        "driftguard_probing_clients_flagged",
        "driftguard_feedback_flagged_total",
        "driftguard_feedback_sources_quarantined",
        "driftguard_model_active_version",
        "driftguard_guard_rollbacks_total",
        "driftguard_guard_decisions_total",
        "driftguard_dropped_records_total",
    }
    assert wanted <= used, sorted(wanted - used)


def _series(scrape: str, prefixes: tuple[str, ...]) -> list[str]:
    """Scraped samples as promtool input series (the labels a scrape adds included)."""
    out = []
    for family in text_string_to_metric_families(scrape):
        for sample in family.samples:
            if not sample.name.startswith(prefixes):
                continue
            labels = {**sample.labels, "job": "driftguard", "instance": "127.0.0.1:8000"}
            body = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
            out.append(f"- series: '{sample.name}{{{body}}}'\n  values: '{sample.value!r}x15'")
    return out


def test_drift_alert_fires_on_the_real_scrape(scrape: str, tmp_path: Path) -> None:
    status = {
        s.labels["status"]: s.value
        for f in text_string_to_metric_families(scrape)
        for s in f.samples
        if s.name == "driftguard_signal_status" and s.labels["signal"] == "input_drift"
    }
    assert status["breach"] == 1.0, status  # the drifted window breached
    series = _series(
        scrape,
        ("driftguard_signal_", "driftguard_model_", "driftguard_monitor_window_size_rows"),
    )
    series.append('- series: \'up{job="driftguard",instance="127.0.0.1:8000"}\'\n  values: 1x15')
    firing = (
        'ALERTS{alertname="DriftguardDriftConfirmed",alertstate="firing",severity="critical",'
        'driftguard_action="rollback",job="driftguard",instance="127.0.0.1:8000",'
        'signal="input_drift",kind="drift",model_name="cancer",model_version="1",generation="1"}'
    )
    indent = "\n      "
    test = f"""
rule_files: [{json.dumps(str(RULE_FILES[0]))}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      {indent.join(line.replace(chr(10), indent) for line in series)}
    promql_expr_test:
      - expr: ALERTS{{alertname="DriftguardDriftConfirmed"}}
        eval_time: 11m
        exp_samples:
          - labels: '{firing}'
            value: 1
    alert_rule_test:
      - eval_time: 11m
        alertname: DriftguardMetricsMissing
        exp_alerts: []
      - eval_time: 11m
        alertname: DriftguardCalibrationDegraded
        exp_alerts: []
"""
    path = tmp_path / "real_scrape.test.yml"
    path.write_text(test, encoding="utf-8")
    run(binary("promtool"), "test", "rules", path)


# --------------------------------------------------------------------------------------------
# Grafana


def test_grafana_dashboard_structure() -> None:
    board = dashboard()
    assert board["uid"] == "driftguard"
    assert board["schemaVersion"] >= 39
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["datasource"]["current"]["value"] == DATASOURCE_UID
    assert variables["model_name"]["query"]["query"] == (
        "label_values(driftguard_model_active_version, model_name)"
    )
    allowed = {DATASOURCE_UID, "${datasource}"}
    assert variables["model_name"]["datasource"]["uid"] in allowed
    panels = board["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), ids
    cells: dict[tuple[int, int], int] = {}
    for panel in panels:
        grid = panel["gridPos"]
        assert {"h", "w", "x", "y"} <= set(grid), panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert grid["h"] > 0, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps panel {cells[(x, y)]}"
                cells[(x, y)] = panel["id"]
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] in allowed, panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    annotations = board["annotations"]["list"]
    assert {a["datasource"]["uid"] for a in annotations} <= allowed
    exprs = " ".join(a["expr"] for a in annotations)
    assert "increase(driftguard_guard_rollbacks_total" in exprs
    assert "changes(driftguard_model_active_version" in exprs


def test_grafana_queries_parse(tmp_path: Path) -> None:
    """Every dashboard query, with Grafana's variables filled in, is valid PromQL."""
    records = []
    for i, query in enumerate(dashboard_queries()):
        if query.startswith("label_values("):
            continue
        expr = re.sub(r"\$__\w+", "5m", query).replace("$model_name", ".*")
        assert "$" not in expr, query
        records.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "q", "rules": records}]}))
    done = run(binary("promtool"), "check", "rules", path)
    assert f"SUCCESS: {len(records)} rules found" in done.stdout


def test_grafana_provisioning_points_at_the_dashboard() -> None:
    (source,) = load_yaml(DATASOURCE_YML)["datasources"]
    assert source["uid"] == DATASOURCE_UID
    assert source["type"] == "prometheus"
    assert source["url"] == "http://127.0.0.1:9090"
    (provider,) = load_yaml(PROVIDER_YML)["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == GRAFANA_MOUNT
    # the folder mounted there is the one holding the JSON, as the README says
    assert GRAFANA_JSON.parent == DASH / "grafana"
    readme = (DASH / "README.md").read_text(encoding="utf-8")
    assert f"dashboards/grafana:{GRAFANA_MOUNT}" in readme
    assert "dashboards/grafana/provisioning:/etc/grafana/provisioning" in readme
