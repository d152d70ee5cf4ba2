/* driftguard dashboard: DOM helpers and hand-written SVG charts (no libraries, no CDN).
 *
 * Every chart is built with createElementNS and presentation attributes only (no inline
 * style), so the page runs under a strict Content-Security-Policy. Colours come from
 * classes in dashboard.css. Hover text uses SVG <title> elements (native tooltips).
 */
"use strict";

(function (root) {
  // The SVG namespace is an identifier, never fetched.
  const SVG_NS = "http://www.w3.org/2000/svg";

  /** An HTML element: h("td", {class: "num"}, "1.2", child, ...). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  /** An SVG element: s("rect", {x: 1, y: 2, width: 3, height: 4}). */
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function setAttrs(el, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") el.textContent = String(value);
      else el.setAttribute(key, String(value));
    }
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  /** A hover tooltip for an SVG element. */
  function tip(text) {
    return s("title", { text });
  }

  const finite = (v) => typeof v === "number" && Number.isFinite(v);

  /** Numbers for people: 3 significant digits, "–" for missing. */
  function fmt(v, digits = 3) {
    if (!finite(v)) return "–";
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e5) return v.toExponential(1).replace("e+", "e");
    if (a >= 1000) return Math.round(v).toLocaleString("en-US");
    if (a >= 0.001) return Number(v.toPrecision(digits)).toString();
    return v.toExponential(1);
  }

  /** A linear map from [d0, d1] to [r0, r1]. */
  function scale(d0, d1, r0, r1) {
    const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return (v) => r0 + (v - d0) * k;
  }

  /** About ``count`` round tick values covering [lo, hi]. */
  function ticks(lo, hi, count = 4) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }

  /**
   * The y axis of a score chart: linear from 0, or logarithmic when the scores run more than
   * 50 times above the largest threshold (a feature constant in the reference makes the ratio
   * explode; a linear axis would flatten the threshold and every ordinary window to zero).
   * A threshold of practically zero (a feature constant in the reference) keeps the linear
   * axis: any score above zero is over it, and a log axis would only stretch the empty range.
   */
  function yAxis(values, thresholds, top, r0, r1, count) {
    const thrMax = maxOf(thresholds);
    if (finite(thrMax) && thrMax >= 1e-6 && top > 50 * thrMax) {
      const positive = values.concat(thresholds).filter((v) => finite(v) && v > 0);
      const lo = Math.max(Math.min(...positive) / 2, top * 1e-15);
      const l0 = Math.log10(lo);
      const l1 = Math.log10(top * 2);
      const map = scale(l0, l1, r0, r1);
      const y = (v) => map(Math.log10(finite(v) && v > lo ? v : lo));
      const first = Math.ceil(l0);
      const last = Math.floor(l1);
      const stride = Math.max(1, Math.ceil((last - first + 1) / (count + 1)));
      const marks = [];
      for (let e = first; e <= last; e += stride) marks.push(Math.pow(10, e));
      return { y, marks, base: lo, log: true };
    }
    const yMax = top > 0 ? top * 1.12 : 1;
    return { y: scale(0, yMax, r0, r1), marks: ticks(0, yMax, count), base: 0, log: false };
  }

  function maxOf(...lists) {
    let m = -Infinity;
    for (const list of lists) for (const v of list) if (finite(v) && v > m) m = v;
    return m;
  }

  /** A polyline path through the finite points (gaps where a value is missing). */
  function path(xs, ys, x, y, step = false) {
    let d = "";
    let open = false;
    for (let i = 0; i < xs.length; i++) {
      if (!finite(ys[i])) {
        open = false;
        continue;
      }
      const px = x(xs[i]).toFixed(1);
      const py = y(ys[i]).toFixed(1);
      if (!open) d += `M${px},${py}`;
      else if (step) d += `H${px}V${py}`;
      else d += `L${px},${py}`;
      open = true;
    }
    return d;
  }

  /**
   * Score against threshold over checked windows.
   *
   * opts: {xs, scores, thresholds, hot: [bool], width, height, title, label(i), compact}
   */
  function scoreChart(opts) {
    const { xs, scores, thresholds, hot } = opts;
    const width = opts.width || 640;
    const height = opts.height || 220;
    const compact = Boolean(opts.compact);
    const m = compact
      ? { l: 34, r: 8, t: opts.title ? 20 : 8, b: 18 }
      : { l: 46, r: 14, t: 12, b: 34 };
    const svg = s("svg", {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": opts.aria || opts.title || "score against threshold",
    });
    if (opts.title) {
      svg.append(s("text", { x: 0, y: 13, class: "title", text: opts.title }));
      if (opts.note) {
        svg.append(
          s("text", {
            x: width,
            y: 13,
            "text-anchor": "end",
            class: opts.noteHot ? "hot" : null,
            text: opts.note,
          }),
        );
      }
    }
    const top = maxOf(scores, thresholds);
    if (!xs.length || !finite(top)) {
      svg.append(
        s("text", { x: width / 2, y: height / 2, "text-anchor": "middle", text: "no windows yet" }),
      );
      return svg;
    }
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    const x = scale(x0 - (x1 === x0 ? 1 : 0), x1 + (x1 === x0 ? 1 : 0), m.l, width - m.r);
    const axis = yAxis(scores, thresholds, top, height - m.b, m.t, compact ? 3 : 4);
    const y = axis.y;
    for (const t of axis.marks) {
      svg.append(s("line", { x1: m.l, x2: width - m.r, y1: y(t), y2: y(t), class: "grid" }));
      svg.append(s("text", { x: m.l - 6, y: y(t) + 4, "text-anchor": "end", text: fmt(t, 2) }));
    }
    svg.append(s("line", { x1: m.l, x2: width - m.r, y1: y(axis.base), y2: y(axis.base), class: "axis" }));
    if (axis.log) {
      svg.append(s("text", { x: width - m.r, y: m.t + 10, "text-anchor": "end", class: "note", text: "log scale" }));
    }
    const xt = ticks(x0, x1, compact ? 3 : 8).filter((t) => Number.isInteger(t));
    for (const t of xt) {
      svg.append(s("text", { x: x(t), y: height - m.b + 13, "text-anchor": "middle", text: t }));
    }
    if (!compact && opts.xLabel) {
      svg.append(
        s("text", { x: (m.l + width - m.r) / 2, y: height - 3, "text-anchor": "middle", text: opts.xLabel }),
      );
    }
    // windows over their threshold get a shaded column
    const half = xs.length > 1 ? Math.max(2, (x(x1) - x(x0)) / (xs.length - 1) / 2) : 6;
    // one column per window, clipped to the plot
    const column = (xv, cls, label) => {
      const left = Math.max(m.l, x(xv) - half);
      const right = Math.min(width - m.r, x(xv) + half);
      return s("rect", { x: left, y: m.t, width: right - left, height: height - m.b - m.t, class: cls }, label ? tip(label) : null);
    };
    xs.forEach((xv, i) => {
      if (hot[i]) svg.append(column(xv, "over"));
    });
    svg.append(s("path", { d: path(xs, thresholds, x, y, true), class: "threshold" }));
    svg.append(s("path", { d: path(xs, scores, x, y), class: "score" }));
    const dots = xs.length <= 120;
    xs.forEach((xv, i) => {
      if (!finite(scores[i])) return;
      const label = opts.label ? opts.label(i) : `${xv}: ${fmt(scores[i])}`;
      if (dots || hot[i]) {
        svg.append(
          s("circle", { cx: x(xv), cy: y(scores[i]), r: compact ? 2.2 : 3.2, class: hot[i] ? "score-dot hot" : "score-dot" }, tip(label)),
        );
      }
      svg.append(column(xv, "hover", label)); // a wide hover target per window
    });
    return svg;
  }

  /** A horizontal bar of score / threshold, with a tick at ratio 1 (the threshold). */
  function ratioBar(ratio, hot, scaleMax) {
    const width = 64;
    const height = 10;
    const top = Math.max(scaleMax || 2, 1.25);
    const x = scale(0, top, 0, width);
    const svg = s("svg", { class: "ratio", width, height, viewBox: `0 0 ${width} ${height}` });
    svg.append(s("rect", { x: 0, y: 2, width, height: 6, rx: 3, class: "track" }));
    if (finite(ratio)) {
      const w = Math.max(1, Math.min(width, x(ratio)));
      svg.append(s("rect", { x: 0, y: 2, width: w, height: 6, rx: 3, class: hot ? "fill hot" : "fill" }));
    }
    svg.append(s("line", { x1: x(1), x2: x(1), y1: 0, y2: height, class: "one" }));
    return svg;
  }

  /** A thin progress bar (share in [0, 1]; ``hot`` fills it in the alarm colour). */
  function progress(share, hot) {
    const width = 200;
    const svg = s("svg", { class: "progress", width: "100%", height: 6, viewBox: `0 0 ${width} 6`, preserveAspectRatio: "none" });
    svg.append(s("rect", { x: 0, y: 0, width, height: 6, rx: 3, class: "track" }));
    const w = Math.max(0, Math.min(1, finite(share) ? share : 0)) * width;
    svg.append(s("rect", { x: 0, y: 0, width: w, height: 6, rx: 3, class: hot ? "fill hot" : "fill" }));
    return svg;
  }

  /**
   * Reliability diagram: accuracy per confidence bin, the diagonal, the gaps and the counts.
   * The confidence axis starts at the bin holding 1 / classes (a top-label confidence is
   * never lower), so a binary model uses the whole width.
   */
  function reliability(bins, classes) {
    const width = 400;
    const plot = 250;
    const m = { l: 46, r: 12, t: 10 };
    const countH = 50;
    const height = m.t + plot + 16 + countH + 30;
    const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "reliability diagram" });
    const floor = 1 / Math.max(2, classes || 2);
    const first = bins.find((b) => b.hi >= floor - 1e-12);
    const lo = Math.min(first ? first.lo : 0, ...bins.filter((b) => b.count).map((b) => b.lo));
    const right = width - m.r;
    const x = scale(lo, 1, m.l, right);
    const y = scale(0, 1, m.t + plot, m.t);
    for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
      svg.append(s("line", { x1: m.l, x2: right, y1: y(t), y2: y(t), class: "grid" }));
      svg.append(s("text", { x: m.l - 6, y: y(t) + 4, "text-anchor": "end", text: t.toFixed(1) }));
    }
    svg.append(s("line", { x1: x(lo), y1: y(lo), x2: x(1), y2: y(1), class: "diagonal" }));
    const shown = bins.filter((b) => b.hi > lo + 1e-12);
    for (const b of shown) {
      if (!b.count) continue;
      const label =
        `confidence (${fmt(b.lo, 2)}, ${fmt(b.hi, 2)}]: ${b.count} rows, ` +
        `mean confidence ${fmt(b.confidence)}, accuracy ${fmt(b.accuracy)}`;
      const x0 = x(b.lo) + 1;
      const w = Math.max(1, x(b.hi) - x(b.lo) - 2);
      svg.append(s("rect", { x: x0, y: y(b.accuracy), width: w, height: y(0) - y(b.accuracy), class: "bar" }, tip(label)));
      const top = Math.max(b.accuracy, b.confidence);
      const bottom = Math.min(b.accuracy, b.confidence);
      svg.append(s("rect", { x: x0, y: y(top), width: w, height: Math.max(0.5, y(bottom) - y(top)), class: "gap" }, tip(label)));
      svg.append(s("circle", { cx: x(b.confidence), cy: y(b.accuracy), r: 2.6, class: "point" }, tip(label)));
    }
    const mid = m.t + plot / 2;
    svg.append(s("text", { x: 10, y: mid, transform: `rotate(-90 10 ${mid})`, "text-anchor": "middle", text: "observed accuracy" }));
    // counts strip (square-root scale: a few rows stay visible next to many)
    const c0 = m.t + plot + 16;
    const most = Math.max(1, ...bins.map((b) => b.count));
    const cy = scale(0, Math.sqrt(most), c0 + countH, c0 + 10);
    svg.append(s("line", { x1: m.l, x2: right, y1: c0 + countH, y2: c0 + countH, class: "axis" }));
    for (const b of shown) {
      if (!b.count) continue;
      const x0 = x(b.lo) + 1;
      const w = Math.max(1, x(b.hi) - x(b.lo) - 2);
      const top = cy(Math.sqrt(b.count));
      svg.append(s("rect", { x: x0, y: top, width: w, height: c0 + countH - top, class: "count" }, tip(`${b.count} rows`)));
      svg.append(s("text", { x: x0 + w / 2, y: top - 2, "text-anchor": "middle", text: b.count }));
    }
    svg.append(s("text", { x: m.l - 6, y: c0 + countH - 2, "text-anchor": "end", text: "rows" }));
    for (const t of ticks(lo, 1, 5)) {
      svg.append(s("text", { x: x(t), y: c0 + countH + 13, "text-anchor": "middle", text: fmt(t, 2) }));
    }
    svg.append(s("text", { x: (m.l + right) / 2, y: height - 3, "text-anchor": "middle", text: "top-label confidence" }));
    return svg;
  }

  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
    21600, 43200, 86400, 172800, 604800, 2592000];

  /** Round times (UNIX seconds, aligned in local time) covering [t0, t1]. */
  function timeTicks(t0, t1, count) {
    const raw = (t1 - t0) / count;
    const step = TIME_STEPS.find((st) => st >= raw) || TIME_STEPS[TIME_STEPS.length - 1];
    const offset = -new Date(t0 * 1000).getTimezoneOffset() * 60;
    const out = [];
    for (let t = Math.ceil((t0 + offset) / step) * step - offset; t <= t1; t += step) out.push(t);
    return out;
  }

  function clock(t, withDate) {
    const d = new Date(t * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    if (!withDate) return time;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  }

  /**
   * ACTIVE version over time: one lane per version, a step line through the switches,
   * promotions (blue squares) and rollbacks (red diamonds), now at the right edge.
   */
  function versionLanes(versions, switches, now) {
    const width = 640;
    const lanes = versions.map((v) => v.version);
    const laneH = 26;
    const m = { l: 44, r: 16, t: 10, b: 24 };
    const height = m.t + m.b + laneH * Math.max(1, lanes.length);
    const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "active version over time" });
    if (!switches.length) {
      svg.append(s("text", { x: width / 2, y: height / 2, "text-anchor": "middle", text: "no promotion recorded yet" }));
      return svg;
    }
    const t0 = switches[0].time;
    const t1 = Math.max(now, switches[switches.length - 1].time + 1);
    const x = scale(t0, t1 + (t1 - t0) * 0.02, m.l, width - m.r);
    const laneOf = new Map(lanes.map((v, i) => [v, i]));
    const y = (v) => m.t + laneH * ((laneOf.has(v) ? laneOf.get(v) : 0) + 0.5);
    lanes.forEach((v) => {
      svg.append(s("line", { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), class: "lane" }));
      svg.append(s("text", { x: m.l - 8, y: y(v) + 4, "text-anchor": "end", text: `v${v}` }));
    });
    let d = "";
    switches.forEach((sw, i) => {
      if (sw.to_version === null) return;
      const px = x(sw.time).toFixed(1);
      d += i === 0 || switches[i - 1].to_version === null ? `M${px},${y(sw.to_version)}` : `H${px}V${y(sw.to_version)}`;
    });
    const last = switches[switches.length - 1];
    if (last.to_version !== null) d += `H${x(now).toFixed(1)}`;
    svg.append(s("path", { d, class: "active-line" }));
    for (const sw of switches) {
      if (sw.to_version === null) continue;
      const cx = x(sw.time);
      const cy = y(sw.to_version);
      const from = sw.from_version === null ? "" : `v${sw.from_version} → `;
      const label =
        `${clock(sw.time, true)} ${sw.action} ${from}v${sw.to_version} ` +
        `(generation ${sw.generation}) by ${sw.actor}${sw.reason ? ": " + sw.reason : ""}`;
      const shape =
        sw.action === "rollback"
          ? s("path", { d: `M${cx},${cy - 6}L${cx + 6},${cy}L${cx},${cy + 6}L${cx - 6},${cy}Z`, class: "mark-rollback" }, tip(label))
          : s("rect", { x: cx - 4.5, y: cy - 4.5, width: 9, height: 9, rx: 2, class: "mark-promote" }, tip(label));
      svg.append(shape);
    }
    if (last.to_version !== null) {
      svg.append(s("circle", { cx: x(now), cy: y(last.to_version), r: 4, class: "mark-now" }, tip("now")));
    }
    const span = t1 - t0;
    for (const t of timeTicks(t0, t1, 5)) {
      const label = span > 86400 ? clock(t, true).slice(5, 16) : span > 600 ? clock(t).slice(0, 5) : clock(t);
      svg.append(s("text", { x: x(t), y: height - 6, "text-anchor": "middle", text: label }));
    }
    return svg;
  }

  root.DG = { h, s, tip, fmt, finite, clock, scoreChart, ratioBar, progress, reliability, versionLanes };
})(window);
