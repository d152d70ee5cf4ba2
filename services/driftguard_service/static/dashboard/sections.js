/* driftguard dashboard: the sections of the page, drawn from one snapshot.
 *
 * Everything from the server is inserted as text (textContent, SVG <title>), never as HTML.
 */
"use strict";

(function (DG) {
  const { h, fmt, finite, clock } = DG;
  const $ = (id) => document.getElementById(id);
  const SEVERITY = { breach: 0, warn: 1, ok: 2, insufficient_data: 3 };

  // ---------------------------------------------------------------- helpers

  function fill(id, ...nodes) {
    const el = $(id);
    const top = el.scrollTop;
    el.replaceChildren(...nodes.flat().filter(Boolean));
    el.scrollTop = top;
  }

  function pill(text, cls) {
    return h("span", { class: `pill ${cls || ""}`, text });
  }

  function table(headers, rows) {
    const head = h("tr", {}, headers.map(([label, cls, title]) => h("th", { class: cls, text: label, title })));
    return h("table", {}, h("thead", {}, head), h("tbody", {}, rows));
  }

  function empty(text) {
    return h("div", { class: "empty", text });
  }

  function td(text, cls, title) {
    return h("td", { class: cls, text, title });
  }

  const ACTION_CLASS = {
    rollback: "bad",
    manual_rollback: "bad",
    rollback_failed: "bad",
    quarantine: "bad",
    promote: "info",
    register: "",
    mark_known_good: "ok",
    decision: "warn",
  };

  function legend(...items) {
    return h("div", { class: "legend" }, items.map(([cls, label]) =>
      h("span", { class: "key" }, h("span", { class: `swatch ${cls}` }), label)));
  }

  /** Draw every section from one snapshot (the header is the app's). */
  function render(snap) {
    const notice = snap.unavailable ||
      (snap.served && snap.served.version !== snap.active_version
        ? `ACTIVE is v${snap.active_version}; this service still serves v${snap.served.version} (swapping).`
        : "");
    $("unavailable").textContent = notice;
    $("unavailable").hidden = !notice;
    renderOverview(snap);
    renderSignals(snap.served);
    renderRules(snap);
    renderDrift(snap.drift);
    renderCalibration(snap.calibration, snap.served);
    renderVersions(snap);
    renderTimeline(snap.timeline);
    renderAudit(snap.audit);
  }

  function tile(label, value, valueCls, detail, extra, full) {
    return h("div", { class: full ? "tile full" : "tile" },
      h("div", { class: "label", text: label }),
      h("div", { class: `value ${valueCls || ""}`, text: value }),
      extra || null,
      detail ? h("div", { class: "detail", text: detail }) : null);
  }

  function renderOverview(snap) {
    const served = snap.served;
    if (!served) {
      fill("overview", empty("No version is loaded."));
      return;
    }
    const tiles = [];
    tiles.push(tile("Served version", `v${served.version}`, "",
      `generation ${served.generation} · loaded ${clock(served.loaded_at, true)} · classes ${served.labels.join(", ")}`));
    const drift = snap.drift;
    const latest = drift && drift.latest;
    if (latest) {
      tiles.push(tile(`Input drift · window #${latest.index}${latest.closed ? "" : " (open)"}`,
        latest.drift ? "drift" : "no drift", latest.drift ? "breach" : "ok",
        `statistic ${fmt(latest.score)} vs threshold ${fmt(latest.threshold)} · ` +
        `${latest.drifted_features} of ${drift.n_features} features drifted · ${latest.n_rows} rows`));
    } else {
      tiles.push(tile("Input drift", served.monitoring ? "waiting" : "off", "",
        served.monitoring ? "no window checked yet" : "monitoring is off (DRIFTGUARD_MONITORING)"));
    }
    if (drift) {
      tiles.push(tile("Open window", `${drift.window_rows} / ${drift.window_size}`, "",
        `${drift.windows_closed} windows closed · ${drift.rows_observed} rows observed · ` +
        `${drift.rows_queued} queued · ${drift.dropped_rows} dropped`,
        DG.progress(drift.window_rows / drift.window_size)));
    }
    const cal = snap.calibration;
    if (cal) {
      const status = cal.ece_status;
      tiles.push(tile("Calibration (ECE)", cal.n ? fmt(cal.ece) : "–",
        status === "breach" ? "breach" : status === "ok" ? "ok" : "",
        cal.n ? `threshold ${fmt(cal.ece_threshold)} · ${status.replace(/_/g, " ")} · ${cal.n} labelled rows`
          : "no labelled feedback yet"));
    }
    const d = served.decision;
    if (d) {
      const cls = d.action === "rollback" ? "breach" : d.action === "warn" ? "warn" : "ok";
      const held = d.suppressed_by ? ` (held back: ${d.suppressed_by})` : "";
      tiles.push(tile(`Last decision · ${d.window_id || ""}`, d.action + held, cls,
        `${d.reason} · mode ${d.mode}${d.at ? " · " + clock(d.at) : ""}`, null, true));
    } else {
      tiles.push(tile("Last decision", "none yet", "", "the guard decides once per closed window", null, true));
    }
    fill("overview", h("div", { class: "tiles" }, tiles));
  }

  function renderSignals(served) {
    if (!served) {
      fill("signals", empty("No version is loaded."));
      $("signals-sub").textContent = "";
      return;
    }
    const signals = [...served.signals].sort((a, b) =>
      (SEVERITY[a.status] ?? 9) - (SEVERITY[b.status] ?? 9) || a.name.localeCompare(b.name));
    const bad = signals.filter((sg) => sg.status === "breach" || sg.status === "warn").length;
    $("signals-sub").textContent = `v${served.version} · ${bad ? bad + " need attention" : "none breaching"}`;
    const rows = signals.map((sg) =>
      h("tr", {},
        td(sg.name, "name"),
        td(sg.kind),
        td(fmt(sg.value), "num"),
        td(fmt(sg.threshold), "num"),
        h("td", {}, pill(sg.status.replace(/_/g, " "), sg.status)),
        td(sg.samples, "num")));
    fill("signals", signals.length ? table(
      [["signal"], ["kind"], ["value", "num"], ["threshold", "num"], ["status"], ["samples", "num"]],
      rows) : empty("No signals."));
  }

  /** A duration as people read it (as driftguard.policy.format_duration writes it). */
  function duration(seconds) {
    if (!finite(seconds)) return "never";
    for (const [size, unit] of [[31536000, "years"], [86400, "days"], [3600, "h"]]) {
      if (seconds >= size) return `${(seconds / size).toFixed(1)} ${unit}`;
    }
    if (seconds >= 60) return `${(seconds / 60).toFixed(0)} min`;
    return `${seconds.toFixed(0)} s`;
  }

  function renderRules(snap) {
    const observed = snap.windows_per_s;
    $("rules-sub").textContent = observed === null
      ? `no window rate observed yet: false-decision intervals at the planning traffic of ` +
        `${fmt(snap.planned_windows_per_s)} windows/s`
      : `false-decision intervals at the observed ${fmt(observed)} windows/s ` +
        `(planned ${fmt(snap.planned_windows_per_s)})`;
    if (!snap.rules.length) {
      fill("rules", empty("The policy has no rules."));
      return;
    }
    const rows = snap.rules.map((r) => {
      const every = r.interval_s !== null ? duration(r.interval_s)
        : observed === null ? `${duration(r.planned_interval_s)} (planned)` : "never";
      const evidence = r.method === "cusum"
        ? `${(r.evidence || 0).toFixed(1)} / ${r.evidence_threshold.toFixed(1)} nats`
        : `${r.breaches} / ${r.k} of ${r.m}`;
      return h("tr", { class: r.latched ? "hot" : null, title: r.sentence },
        td(r.rule, "name nowrap"),
        h("td", {}, pill(r.action, r.action === "rollback" ? "bad" : "info")),
        td(r.method.replace(/_/g, " ")),
        td(every, "num nowrap every"),
        td(`${r.run_length_exact ? "" : "≥ "}${fmt(r.run_length_windows)}`, "num"),
        td(evidence, "num nowrap"),
        h("td", { class: "progress", title: `${Math.round(100 * r.progress)}% of the way to deciding` },
          DG.progress(r.progress, r.latched)),
        h("td", {}, r.latched ? pill("latched", "breach") : pill("armed", "ok")));
    });
    fill("rules", table(
      [["rule"], ["action"], ["method"],
        ["false decision every", "num", "expected time to a false decision on clean traffic (ARL0)"],
        ["windows", "num", "run length to a false decision, in evaluated windows"],
        ["evidence", "num", "CUSUM statistic / threshold, or breaches / k of the last m windows"],
        ["", "", "evidence towards the threshold"],
        ["state", "", "latched: fired, waiting to re-arm"]], rows));
  }

  function renderDrift(drift) {
    if (!drift) {
      fill("drift-chart", empty("Monitoring is off for this version."));
      fill("drift-table", empty("–"));
      fill("feature-charts", empty("–"));
      return;
    }
    const hist = drift.history;
    const xs = hist.map((w) => w.index);
    const chart = DG.scoreChart({
      xs,
      scores: hist.map((w) => w.score),
      thresholds: hist.map((w) => w.threshold),
      hot: hist.map((w) => w.drift),
      width: 760,
      height: 360,
      xLabel: `window (${drift.window_size} rows each)`,
      aria: "dataset drift statistic per window",
      label: (i) => {
        const w = hist[i];
        return `window #${w.index} · ${clock(w.time)} · statistic ${fmt(w.score)} vs threshold ` +
          `${fmt(w.threshold)} · ${w.drift ? "DRIFT" : "ok"} · ${w.drifted_features} features drifted`;
      },
    });
    fill("drift-chart", chart, legend(["", "statistic (largest feature score / threshold)"],
      ["dashed", "calibrated threshold"], ["dot", "drift verdict"]));
    renderDriftTable(drift);
    renderFeatures(drift);
  }

  function renderDriftTable(drift) {
    const latest = drift.latest;
    if (!latest) {
      $("drift-table-sub").textContent = "";
      fill("drift-table", empty(`No checked window yet (${drift.window_rows} of ${drift.window_size} rows).`));
      return;
    }
    $("drift-table-sub").textContent =
      `window #${latest.index}${latest.closed ? "" : " (open)"} · ${latest.n_rows} rows · ` +
      `${latest.drifted_features} of ${drift.n_features} drifted`;
    const top = Math.max(2, ...latest.features.map((f) => (finite(f.ratio) ? f.ratio : 0)));
    const rows = latest.features.map((f) =>
      h("tr", { class: f.drift ? "hot" : null },
        td(f.feature, "name nowrap", f.method),
        td(fmt(f.score), "num"),
        td(fmt(f.threshold), "num"),
        td(fmt(f.ratio), "num"),
        h("td", { class: "bar" }, DG.ratioBar(f.ratio, f.drift, top)),
        td(fmt(f.p_adjusted), "num"),
        h("td", {}, f.drift ? pill("drift", "breach") : pill("no", "ok"))));
    fill("drift-table", table(
      [["feature"], ["score", "num"], ["threshold", "num"], ["ratio", "num", "score / threshold"],
        ["", "", "the tick marks the threshold (ratio 1)"],
        ["p adj.", "num", "resampling p-value after the multiple-testing correction"],
        ["drift", "", "p adj. at most alpha and score at least the practical effect size"]], rows));
  }

  function renderFeatures(drift) {
    const hist = drift.history;
    const xs = hist.map((w) => w.index);
    $("features-sub").textContent = drift.features.length
      ? `${drift.features.length} of ${drift.n_features} features with the largest score / threshold ` +
        `over the last ${hist.length} windows; dashed: threshold`
      : "";
    if (!drift.features.length) {
      fill("feature-charts", empty("No closed window yet."));
      return;
    }
    const charts = drift.features.map((series) => {
      let ratio = null;
      for (let i = series.scores.length - 1; i >= 0; i--) {
        if (finite(series.scores[i]) && finite(series.thresholds[i]) && series.thresholds[i] > 0) {
          ratio = series.scores[i] / series.thresholds[i];
          break;
        }
      }
      const last = series.drift[series.drift.length - 1];
      return h("div", { class: "multiple" }, DG.scoreChart({
        xs,
        scores: series.scores,
        thresholds: series.thresholds,
        hot: series.drift,
        width: 280,
        height: 128,
        compact: true,
        title: series.feature,
        note: `now ${fmt(ratio, 2)}×`,
        noteHot: last,
        label: (i) => `${series.feature} · window #${xs[i]} · score ${fmt(series.scores[i])} vs ` +
          `threshold ${fmt(series.thresholds[i])}${series.drift[i] ? " · DRIFT" : ""}`,
      }));
    });
    fill("feature-charts", charts);
  }

  function stat(label, value, detail) {
    return h("div", { class: "stat" },
      h("div", { class: "label", text: label }),
      h("div", { class: "value" }, value),
      detail ? h("div", { class: "label", text: detail }) : null);
  }

  function renderCalibration(cal, served) {
    if (!cal) {
      fill("calibration", empty("No version is loaded."));
      return;
    }
    if (!cal.n) {
      fill("calibration", empty(`No usable labelled feedback for v${served.version} yet ` +
        "(labels arrive through POST /feedback; flagged feedback is left out)."));
      return;
    }
    const status = cal.ece_status;
    const stats = h("div", { class: "stats" },
      stat("ECE (15 equal-width bins)", [fmt(cal.ece), " ", pill(status.replace(/_/g, " "), status)],
        cal.ece_threshold === null ? "threshold after 100 labels" : `threshold ${fmt(cal.ece_threshold)}`),
      stat("labelled rows", String(cal.n), `${cal.received} received (flagged feedback left out)`),
      stat("accuracy", fmt(cal.accuracy),
        cal.reference_accuracy === null ? null : `test accuracy ${fmt(cal.reference_accuracy)}`),
      stat("mean confidence", fmt(cal.mean_confidence)));
    fill("calibration",
      h("div", { class: "calibration" }, h("div", {}, DG.reliability(cal.bins, served.labels.length)), stats),
      legend(["box", "observed accuracy"], ["gapbox", "gap to mean confidence"],
        ["dashed", "perfect calibration"]));
  }

  function renderVersions(snap) {
    const chips = snap.versions.map((v) =>
      h("span", { class: v.active ? "chip active" : "chip", title: `registered ${clock(v.created, true)}` },
        h("span", { class: `dot ${v.status}` }),
        `v${v.version}`,
        v.status === "none" ? null : h("span", { class: "muted", text: v.status.replace(/_/g, " ") }),
        v.active ? h("span", { text: "ACTIVE" }) : null));
    fill("versions",
      h("div", { class: "chips" }, chips),
      DG.versionLanes(snap.versions, snap.switches, snap.generated_at),
      legend(["up", "promotion"], ["diamond", "rollback"], ["now", "now"]));
  }

  function renderTimeline(events) {
    if (!events.length) {
      fill("timeline", empty("Nothing happened yet."));
      return;
    }
    const rows = events.map((e) =>
      h("tr", {},
        td(clock(e.time, true), "time"),
        td(`v${e.version}`),
        h("td", {}, pill(e.kind.replace(/_/g, " "), ACTION_CLASS[e.kind] ?? "")),
        td(e.text, "reason")));
    fill("timeline", table([["time"], ["version"], ["event"], ["what"]], rows));
  }

  function renderAudit(records) {
    if (!records.length) {
      fill("audit", empty("No audit records."));
      return;
    }
    const versions = (r) =>
      r.from_version !== null && r.to_version !== null && r.from_version !== r.to_version
        ? `v${r.from_version} → v${r.to_version}`
        : r.to_version !== null ? `v${r.to_version}` : "–";
    const rows = records.map((r) =>
      h("tr", {},
        td(clock(r.time, true), "time"),
        h("td", {}, pill(r.action.replace(/_/g, " "), ACTION_CLASS[r.action] ?? "")),
        td(r.actor, "name"),
        td(versions(r)),
        td(r.generation, "num"),
        td(r.reason || "–", "reason")));
    fill("audit", table(
      [["time"], ["action"], ["actor"], ["versions"], ["generation", "num"], ["reason"]], rows));
  }

  DG.render = render;
})(window.DG);
