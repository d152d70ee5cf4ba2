/* driftguard dashboard: token, polling and the header (vanilla JS; the sections are drawn by
 * sections.js, the charts by charts.js).
 *
 * The admin token comes from the URL fragment (#token=..., removed from the address bar at
 * once and never sent to the server as part of a URL), else from this tab's sessionStorage,
 * else from the form. Data is polled every ?refresh=N seconds (default 2; 0 pauses).
 * Everything from the server is inserted as text, never as HTML.
 */
"use strict";

(function () {
  const { h, fmt, clock } = window.DG;
  const $ = (id) => document.getElementById(id);
  const STORE = "driftguard.dashboard.token";
  const params = new URLSearchParams(location.search);
  const refreshS = parseRefresh(params.get("refresh"));

  let model = params.get("model") || "";
  let token = takeToken();
  let paused = refreshS === 0;
  let timer = null;
  let lastOk = null;
  let lastKey = "";
  let running = false;

  function parseRefresh(value) {
    if (value === null || value.trim() === "") return 2;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) return 2;
    return n === 0 ? 0 : Math.min(3600, Math.max(0.5, n));
  }

  function storage(action, value) {
    try {
      if (action === "get") return sessionStorage.getItem(STORE) || "";
      if (action === "set") sessionStorage.setItem(STORE, value);
      if (action === "clear") sessionStorage.removeItem(STORE);
    } catch (err) {
      /* storage disabled: the token lives in this page only */
    }
    return "";
  }

  function takeToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const given = fragment.get("token");
    if (given !== null) {
      fragment.delete("token");
      const rest = fragment.toString();
      history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
      if (given) {
        storage("set", given);
        return given;
      }
    }
    return storage("get");
  }

  class HttpError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const body = await response.json();
        if (body && body.error) detail = body.error;
      } catch (err) {
        /* not JSON: keep the status text */
      }
      throw new HttpError(response.status, `${response.status} ${detail}`);
    }
    return response.json();
  }

  // ---------------------------------------------------------------- polling

  function schedule() {
    clearTimeout(timer);
    if (!paused && token) timer = setTimeout(tick, refreshS * 1000);
  }

  async function tick() {
    if (running) return;
    if (!token) {
      showToken("");
      return;
    }
    running = true;
    try {
      const models = await api("dashboard/api/models");
      renderPicker(models);
      if (!models.some((m) => m.name === model)) model = models.length ? models[0].name : "";
      $("token-panel").hidden = true;
      $("content").hidden = false;
      if (!model) {
        $("unavailable").textContent = "No model is registered in this service's registry yet.";
        $("unavailable").hidden = false;
      } else {
        render(await api(`dashboard/api/models/${encodeURIComponent(model)}`));
      }
      lastOk = Date.now() / 1000;
      hideBanner();
      updated();
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) {
        token = "";
        storage("clear");
        showToken("The token was refused (401). Enter the service's admin token.");
      } else {
        const since = lastOk === null ? "no data yet" : `showing data from ${clock(lastOk)}`;
        showBanner(`Could not refresh: ${err.message || err}. ${since}; retrying.`);
        updated(true);
      }
    } finally {
      running = false;
      schedule();
    }
  }

  function updated(stale) {
    const el = $("updated");
    const when = lastOk === null ? "not updated yet" : `updated ${clock(lastOk)}`;
    el.textContent = paused ? `${when} · paused` : `${when} · every ${fmt(refreshS)} s`;
    el.classList.toggle("stale", Boolean(stale));
  }

  function showBanner(text) {
    $("banner").textContent = text;
    $("banner").hidden = false;
  }

  function hideBanner() {
    $("banner").hidden = true;
  }

  function showToken(message) {
    clearTimeout(timer);
    $("content").hidden = true;
    $("token-panel").hidden = false;
    if (message) showBanner(message);
    $("token-input").focus();
  }

  // ---------------------------------------------------------------- rendering

  function renderPicker(models) {
    const select = $("model-select");
    $("picker").hidden = models.length < 2;
    const names = models.map((m) => m.name);
    if (select.options.length !== names.length || names.some((n, i) => select.options[i].value !== n)) {
      select.replaceChildren(...models.map((m) => h("option", { value: m.name, text: m.name })));
    }
    if (model) select.value = model;
  }

  function render(snap) {
    $("model-name").textContent = snap.model;
    $("active-version").textContent = snap.active_version === null ? "none" : `v${snap.active_version}`;
    $("generation").textContent = `generation ${snap.generation}`;
    const key = JSON.stringify({ ...snap, generated_at: 0 });
    if (key === lastKey) return; // unchanged: keep the DOM (and any open tooltip)
    lastKey = key;
    window.DG.render(snap);
  }

  // ---------------------------------------------------------------- wiring

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token-input").value.trim();
    if (!value) return;
    token = value;
    storage("set", value);
    $("token-input").value = "";
    hideBanner();
    tick();
  });

  $("model-select").addEventListener("change", (event) => {
    model = event.target.value;
    const query = new URLSearchParams(location.search);
    query.set("model", model);
    history.replaceState(null, "", `${location.pathname}?${query}${location.hash}`);
    lastKey = "";
    tick();
  });

  $("pause").addEventListener("click", () => {
    paused = !paused;
    $("pause").textContent = paused ? "Resume" : "Pause";
    updated();
    if (paused) clearTimeout(timer);
    else tick();
  });

  $("pause").textContent = paused ? "Resume" : "Pause";
  tick();
})();
