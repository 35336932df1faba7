// The Zoo dashboard: a job list with live states, a run page (curves that grow epoch by epoch, each epoch's pictures,
// the live log, cancel), a comparison page and a submit form generated from the plugins' config schemas.
// Plain JavaScript with no build step; the only library is uPlot (dashboard/vendor, bundled at build time).
"use strict";

const POLL_MS = 1000;
const RUN_POLL_MS = 500; // a run page: a new epoch shows within half a second
let routeCount = 0; // an async page checks it is still the current one before it starts polling
const view = document.getElementById("view");
let stopView = () => {}; // the current page's timers and streams, stopped when the route changes

// ---- the API: bearer token (when the service has one), problem details as errors ----

const token = {
  get: () => sessionStorage.getItem("zoo-token"),
  set: (t) => sessionStorage.setItem("zoo-token", t),
};

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (token.get()) headers.set("Authorization", "Bearer " + token.get());
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) document.getElementById("token-banner").hidden = false;
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  return response;
}
const getJson = async (path) => (await api(path)).json();

document.getElementById("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  token.set(document.getElementById("token-input").value.trim());
  document.getElementById("token-banner").hidden = true;
  route();
});

// Pictures are fetched with the token and shown from blob URLs (an <img src> could not send the header).
const pictureCache = new Map();
async function pictureUrl(id, file) {
  const key = id + "/" + file;
  if (!pictureCache.has(key)) {
    const blob = await (await api(`/api/jobs/${encodeURIComponent(id)}/files/${file}`)).blob();
    pictureCache.set(key, URL.createObjectURL(blob));
  }
  return pictureCache.get(key);
}

// ---- small helpers ----

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}
// What a job's test figure is (ELBO, IWAE-K5, WAE-MMD); records from before jobs kept it hold an ELBO.
const boundName = (job) => job.bound || "ELBO";
const fmt = (v, digits = 2) => (v === null || v === undefined ? "" : Number(v).toFixed(digits));
const stateBadge = (s) => el("span", { class: "state " + s, "data-state": s }, s);
const isFinal = (s) => ["succeeded", "failed", "cancelled", "quarantined"].includes(s);
const every = (ms, fn) => { let live = true; const tick = async () => { if (!live) return; try { await fn(); } catch (e) { console.warn(e); } if (live) timer = setTimeout(tick, ms); }; let timer = setTimeout(tick, 0); return () => { live = false; clearTimeout(timer); }; };

async function health() {
  const badge = document.getElementById("health");
  try {
    const h = await getJson("/api/health");
    badge.className = "health ok";
    badge.textContent = `service ok · ${h.home} · ${h.plugins} plugins`;
  } catch (e) {
    badge.className = "health down";
    badge.textContent = e.status === 401 ? "token needed" : "service unreachable or stopped";
  }
}

// ---- routing ----

function route() {
  routeCount++;
  stopView();
  stopView = () => {};
  const [path, query] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(query || "");
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.getAttribute("href") === "#" + path);
  view.replaceChildren();
  if (path.startsWith("/jobs/")) return runPage(decodeURIComponent(path.slice(6)));
  if (path === "/submit") return submitPage();
  if (path === "/compare") return comparePage((params.get("ids") || "").split(",").filter(Boolean));
  return jobsPage();
}
window.addEventListener("hashchange", route);
health();
setInterval(health, 5000);
route();

// ---- the job list ----

function jobsPage() {
  const selected = new Set();
  const body = el("tbody");
  const compare = el("button", { onclick: () => (location.hash = `#/compare?ids=${[...selected].join(",")}`), disabled: true, id: "compare-selected" }, "Compare selected");
  view.append(
    el("h1", {}, "Jobs"),
    el("div", { class: "toolbar" }, el("button", { class: "primary", onclick: () => (location.hash = "#/submit") }, "New job"), compare),
    el("table", { id: "jobs" },
      el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, "job"), el("th", {}, "model"), el("th", {}, "state"),
        el("th", {}, "epoch"), el("th", {}, "test bound"), el("th", {}, "reason"))),
      body));
  stopView = every(POLL_MS, async () => {
    const jobs = await getJson("/api/jobs");
    body.replaceChildren(...jobs.slice().reverse().map((j) => el("tr", { "data-job": j.id },
      el("td", {}, el("input", { type: "checkbox", checked: selected.has(j.id), "aria-label": "select " + j.id,
        onchange: (e) => { e.target.checked ? selected.add(j.id) : selected.delete(j.id); compare.disabled = selected.size < 2; } })),
      el("td", {}, el("a", { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id)),
      el("td", {}, j.model), el("td", {}, stateBadge(j.state)), el("td", { class: "num" }, j.state === "submitted" ? "" : j.epoch),
      // Each model names its bound (ELBO, IWAE-K5, WAE-MMD): a list of several models cannot head the column with one.
      el("td", { class: "num", "data-test-figure": "" }, fmt(j.testElbo), j.testElbo == null ? null : el("span", { class: "muted" }, " " + boundName(j))),
      el("td", { class: "muted" }, j.reason || ""))));
    if (jobs.length === 0) body.append(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No jobs yet: submit one with New job, or `zoo submit`.")));
  });
}

// ---- charts ----

// The bound is metrics.csv's second column, train_BOUND (train_elbo; train_iwae_k5 for the IWAE's), with valid_ and test_ beside it.
const boundOf = (columns) => (columns[1] && columns[1].startsWith("train_") ? columns[1].slice("train_".length) : "elbo");
// The third pair is the penalty metrics.csv keeps as train_kl / test_kl: KL, or the model's own (the job says which).
const pairs = (bound, penalty) => [
  // train and test keep their colours in every chart; validation comes third.
  [`${bound.replaceAll("_", "-").toUpperCase()} (nats)`, `train_${bound}`, `test_${bound}`, `valid_${bound}`],
  ["reconstruction log-likelihood (nats)", "train_reconstruction", "test_reconstruction"],
  [`${penalty || "KL"} (nats)`, "train_kl", "test_kl"],
];
// Bookkeeping columns of metrics.csv; every other column is a figure (a callback's too) and gets its own chart.
const BOOKKEEPING = new Set(["epoch", "train_loss", "train_seconds", "seconds", "live_tensors"]);
const COLORS = ["#2f6fde", "#e8590c", "#0f7b45", "#9c36b5", "#c92a2a", "#1098ad", "#5c940d", "#d6336c"];

function chartSpecs(columns, penalty) {
  const PAIRS = pairs(boundOf(columns), penalty);
  const paired = new Set(PAIRS.flatMap((p) => p.slice(1)));
  const specs = PAIRS.filter(([, a, b]) => columns.includes(a) || columns.includes(b))
    .map(([title, a, b, v]) => ({ title, series: [[a, "train"], [b, "test"], [v, "validation"]].filter(([c]) => c && columns.includes(c)) }));
  for (const c of columns) if (!BOOKKEEPING.has(c) && !paired.has(c)) specs.push({ title: c.replaceAll("_", " "), series: [[c, c]] });
  return specs;
}

/** A uPlot chart in a card; update(xs, [ys...]) redraws it, and the card's data-points says how many epochs it shows. */
function chart(parent, title, labels, width = 420) {
  const card = el("div", { class: "card chart", "data-chart": title, "data-points": "0" }, el("h3", {}, title));
  parent.append(card);
  const plot = new uPlot({
    width, height: 220,
    scales: { x: { time: false } },
    axes: [{ label: "epoch", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, { size: 60 }],
    series: [{ label: "epoch" }, ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true, size: 5 } }))],
  }, [[], ...labels.map(() => [])], card);
  return {
    update(xs, ys) {
      plot.setData([xs, ...ys]);
      card.dataset.points = String(xs.length);
    },
  };
}

function column(table, name) {
  const i = table.columns.indexOf(name);
  return table.rows.map((r) => (i < 0 ? null : r[i]));
}

// ---- a run ----

/** Samples first, then reconstructions, then anything else a callback drew. */
const byPictureOrder = (files) => files.slice().sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const rank = (f) => (f.endsWith("/samples.png") || f === "samples.png" ? 0 : f.includes("reconstructions") ? 1 : 2);

function runPage(id) {
  const enc = encodeURIComponent(id);
  const title = el("h1", {}, id);
  const meta = el("div", { class: "meta" });
  const cancel = el("button", { class: "danger", id: "cancel", disabled: true, onclick: async () => {
    cancel.disabled = true;
    try { await api(`/api/jobs/${enc}/cancel`, { method: "POST" }); } catch (e) { alert(e.message); }
  } }, "Cancel job");
  const charts = el("div", { class: "cards", id: "charts" });
  const slider = el("input", { type: "range", min: 1, max: 1, value: 1, id: "epoch-slider", disabled: true, "aria-label": "epoch" });
  const sliderLabel = el("span", { id: "epoch-label", class: "muted" }, "no pictures yet");
  const pictures = el("div", { class: "pictures", id: "pictures" });
  const log = el("pre", { class: "log", id: "log" });
  view.append(title, meta, el("div", { class: "toolbar" }, cancel,
      el("a", { href: `#/compare?ids=${enc}` }, "compare with…")),
    el("h2", {}, "Curves"), charts,
    el("h2", {}, "Pictures"), el("div", { class: "slider" }, slider, sliderLabel), pictures,
    el("h2", {}, "Log"), log);

  let plots = null, specs = null, epochs = [], follow = true, shownEpoch = null;
  slider.addEventListener("input", () => { follow = Number(slider.value) === epochs.length; showEpoch(Number(slider.value)); });

  async function showEpoch(index) {
    const e = epochs[index - 1];
    if (!e || shownEpoch === e.epoch) return;
    shownEpoch = e.epoch;
    sliderLabel.textContent = `epoch ${e.epoch} of ${epochs.length}`;
    const figures = await Promise.all(byPictureOrder(e.files).map(async (f) => el("figure", {},
      el("img", { src: await pictureUrl(id, f), alt: f, "data-file": f, "data-epoch": e.epoch }),
      el("figcaption", {}, `${f.split("/").pop()} after epoch ${e.epoch}`))));
    if (shownEpoch === e.epoch) pictures.replaceChildren(...figures);
  }

  const stopPoll = every(RUN_POLL_MS, async () => {
    let job;
    try { job = await getJson(`/api/jobs/${enc}`); }
    catch (e) {
      if (e.status === 404) { meta.replaceChildren(el("span", { class: "error", id: "job-missing" }, e.message)); return; }
      throw e;
    }
    meta.replaceChildren(...[stateBadge(job.state), el("span", {}, "model ", el("b", {}, job.model)), el("span", {}, "epoch ", el("b", { id: "job-epoch" }, job.epoch)),
      el("span", {}, `test ${boundName(job)} `, el("b", { id: "job-test-figure" }, fmt(job.testElbo))), job.reason ? el("span", { class: isFinal(job.state) && job.state !== "succeeded" ? "error" : "" }, job.reason) : null].filter(Boolean));
    cancel.disabled = isFinal(job.state);

    const table = await getJson(`/api/jobs/${enc}/metrics`);
    if (table.columns.length > 0) {
      const nextSpecs = chartSpecs(table.columns, job.penalty);
      if (!plots || JSON.stringify(nextSpecs) !== JSON.stringify(specs)) {
        specs = nextSpecs;
        charts.replaceChildren();
        plots = specs.map((s) => chart(charts, s.title, s.series.map(([, label]) => label)));
      }
      const xs = column(table, "epoch");
      specs.forEach((s, i) => plots[i].update(xs, s.series.map(([c]) => column(table, c))));
    } else if (!plots) charts.replaceChildren(el("p", { class: "muted" }, "Curves appear when the first epoch ends."));

    const pics = await getJson(`/api/jobs/${enc}/pictures`);
    if (pics.epochs.length !== epochs.length) {
      epochs = pics.epochs;
      slider.max = String(epochs.length);
      slider.disabled = epochs.length < 2;
      if (follow) slider.value = String(epochs.length);
      await showEpoch(Number(slider.value));
    }
    if (isFinal(job.state) && epochs.length === 0 && pics.final.length > 0 && pictures.childElementCount === 0) {
      const figures = await Promise.all(byPictureOrder(pics.final).map(async (f) => el("figure", {}, el("img", { src: await pictureUrl(id, f), alt: f, "data-file": f }), el("figcaption", {}, f))));
      pictures.replaceChildren(...figures);
      sliderLabel.textContent = "pictures after training";
    }
  });
  const stopLog = streamLog(id, log);
  stopView = () => { stopPoll(); stopLog(); };
}

/** Follows /api/jobs/ID/log/stream (server-sent events, read with fetch so that the token header goes along). */
function streamLog(id, pre) {
  const abort = new AbortController();
  (async () => {
    try {
      const response = await api(`/api/jobs/${encodeURIComponent(id)}/log/stream`, { signal: abort.signal });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = (block.match(/^event: ?(.*)$/m) || [])[1] || "message";
          const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.replace(/^data: ?/, "")).join("\n");
          if (type === "line") {
            const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
            pre.append(data + "\n");
            if (atBottom) pre.scrollTop = pre.scrollHeight;
          } else if (type === "end") pre.append(`— job ${data} —\n`);
        }
      }
    } catch (e) {
      if (e.name !== "AbortError") pre.append(`(log stream: ${e.message})\n`);
    }
  })();
  return () => abort.abort();
}

// ---- comparison ----

async function comparePage(ids) {
  const current = routeCount;
  view.append(el("h1", {}, "Compare runs"));
  const jobs = await getJson("/api/jobs");
  const picker = el("div", { class: "toolbar" }, el("span", { class: "muted" }, "runs:"),
    ...jobs.filter((j) => j.state !== "submitted").map((j) => el("label", {}, el("input", { type: "checkbox", value: j.id, checked: ids.includes(j.id),
      onchange: () => { location.hash = `#/compare?ids=${[...picker.querySelectorAll("input:checked")].map((c) => c.value).join(",")}`; } }), " " + j.id)));
  view.append(picker);
  if (ids.length === 0) { view.append(el("p", { class: "muted" }, "Choose runs above (or tick them in the job list).")); return; }
  const charts = el("div", { class: "cards", id: "compare-charts" });
  const diff = el("table", { id: "differing-keys" });
  view.append(charts, el("h2", {}, "Keys that differ"), diff);

  const configs = await Promise.all(ids.map((id) => getJson(`/api/jobs/${encodeURIComponent(id)}/config`).catch(() => ({ values: {} }))));
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c.values)))].sort();
  const differing = keys.filter((k) => new Set(configs.map((c) => c.values[k] ?? "")).size > 1);
  diff.append(el("thead", {}, el("tr", {}, el("th", {}, "key"), ...ids.map((id) => el("th", {}, id)))),
    el("tbody", {}, differing.length === 0 ? el("tr", {}, el("td", { colspan: ids.length + 1, class: "muted" }, "The runs have the same keys."))
      : differing.map((k) => el("tr", {}, el("td", {}, k), ...configs.map((c) => el("td", {}, c.values[k] ?? "(not set)"))))));

  const plots = new Map();
  if (current !== routeCount) return; // the user moved on while the configs loaded
  stopView = every(2 * POLL_MS, async () => {
    const tables = await Promise.all(ids.map((id) => getJson(`/api/jobs/${encodeURIComponent(id)}/metrics`)));
    const columns = [...new Set(tables.flatMap((t) => t.columns))].filter((c) => !BOOKKEEPING.has(c));
    for (const c of columns) {
      // One x axis for all runs: epochs 1..max, each run's value at its epoch (null where it has none).
      const maxEpoch = Math.max(0, ...tables.map((t) => t.rows.length ? Math.max(...column(t, "epoch")) : 0));
      const xs = Array.from({ length: maxEpoch }, (_, i) => i + 1);
      const ys = tables.map((t) => { const e = column(t, "epoch"), v = column(t, c); return xs.map((x) => { const i = e.indexOf(x); return i < 0 ? null : v[i]; }); });
      if (!plots.has(c)) plots.set(c, chart(charts, c.replaceAll("_", " "), ids));
      plots.get(c).update(xs, ys);
    }
  });
}

// ---- the submit form, generated from the schema ----

async function submitPage() {
  const [plugins, runKeys] = await Promise.all([getJson("/api/plugins"), getJson("/api/run-keys")]);
  const byFamily = (family) => plugins.filter((p) => p.kind === family);
  const models = byFamily("model");
  const form = el("form", { id: "submit-form", novalidate: true });
  const modelSelect = el("select", { name: "model", id: "model" }, models.map((m) => el("option", { value: m.name }, m.name)));
  const modelDoc = el("small");
  const training = el("div", { class: "job" });
  const data = el("div", { class: "job" });
  const model = el("div", { class: "job" });
  const extra = el("textarea", { name: "settings", rows: 3, placeholder: "more settings, one key=value per line (e.g. dataset=/data/faces.npy)" });
  const formProblem = el("div", { class: "problem", id: "form-problem" });
  const send = el("button", { class: "primary", type: "submit", id: "submit-job" }, "Submit job");
  form.append(
    el("fieldset", {}, el("legend", {}, "Model"), el("div", { class: "field", "data-key": "model" }, el("label", { for: "model" }, "model"), modelSelect, modelDoc, el("div", { class: "problem" })), model),
    el("fieldset", {}, el("legend", {}, "Training"), training),
    el("fieldset", {}, el("legend", {}, "Data"), data),
    el("fieldset", {}, el("legend", {}, "More"), el("div", { class: "field", "data-key": "settings" }, el("label", {}, "other keys"), extra,
      el("small", {}, "any key the schema knows, as on the command line; these win over the fields above"), el("div", { class: "problem" }))),
    el("div", { class: "toolbar" }, send, formProblem));
  view.append(el("h1", {}, "New job"), form);

  /** The default a key shows: the chosen model's run default (a preset's), else the schema's. */
  const runDefaults = () => models.find((m) => m.name === modelSelect.value)?.runDefaults || {};

  /** Renders keys into container with prefix ("" for the run and the model, "dataset." …); a part key gets a drop-down and its plugin's keys nested under it. */
  function renderKeys(container, keys, prefix, defaultsApply) {
    for (const k of keys) {
      const name = prefix + k.name;
      const rd = defaultsApply ? runDefaults()[name] : undefined;
      const shownDefault = rd ?? k.default;
      const problem = el("div", { class: "problem" });
      const doc = el("small", {}, k.description + (k.range ? ` · range ${k.range}` : ""));
      const label = el("label", { for: "f-" + name }, name, " ", el("span", { class: "type" }, k.part ? `${k.part} plugin` : k.type));
      let input;
      if (k.part) {
        const choices = byFamily(k.part);
        input = el("select", { name, id: "f-" + name, "data-default": shownDefault }, choices.map((p) => el("option", { value: p.name, selected: p.name === shownDefault }, p.name)));
        if (!choices.some((p) => p.name === shownDefault)) input.prepend(el("option", { value: shownDefault, selected: true }, shownDefault));
        const nested = el("div", { class: "nested", "data-part": name });
        const fill = () => {
          nested.replaceChildren();
          const plugin = choices.find((p) => p.name === input.value);
          doc.textContent = plugin ? plugin.description : k.description;
          if (plugin) renderKeys(nested, plugin.keys, name + ".", defaultsApply && input.value === shownDefault);
        };
        input.addEventListener("change", fill);
        container.append(el("div", { class: "field", "data-key": name }, label, input, doc, problem), nested);
        fill();
        continue;
      }
      if (k.allowed) input = el("select", { name, id: "f-" + name, "data-default": shownDefault }, k.allowed.map((a) => el("option", { value: a, selected: a === shownDefault }, a)));
      else if (k.type === "bool") input = el("select", { name, id: "f-" + name, "data-default": shownDefault }, ["true", "false"].map((a) => el("option", { value: a, selected: a === shownDefault }, a)));
      else input = el("input", { name, id: "f-" + name, placeholder: shownDefault, "data-type": k.type, "data-min": k.min, "data-max": k.max, autocomplete: "off" });
      container.append(el("div", { class: "field", "data-key": name }, label, input, doc, problem));
    }
  }

  function renderModel() {
    const m = models.find((x) => x.name === modelSelect.value);
    modelDoc.textContent = m.description;
    for (const c of [model, training, data]) c.replaceChildren();
    renderKeys(model, m.keys, "", true);
    renderKeys(training, runKeys.filter((k) => k.name !== "dataset"), "", true);
    renderKeys(data, runKeys.filter((k) => k.name === "dataset"), "", true);
  }
  modelSelect.addEventListener("change", renderModel);
  renderModel();

  /** The range and type checks of the schema, before anything is sent: a message per field, or none. */
  function check(input) {
    const text = input.value.trim();
    if (text === "" || !input.dataset.type) return null;
    const [min, max] = [input.dataset.min, input.dataset.max].map((v) => (v === undefined ? null : Number(v)));
    const type = input.dataset.type;
    const values = type.endsWith("list") ? text.split(",").map((s) => s.trim()) : [text];
    for (const v of values) {
      if (["int", "int list", "long"].includes(type) && !/^[-+]?\d+$/.test(v)) return `${input.name} = '${text}' is not ${type === "int list" ? "a comma-separated list of integers" : "an integer"}`;
      if (type === "number" && !Number.isFinite(Number(v))) return `${input.name} = '${text}' is not a finite number`;
      if ((type === "number" || type.startsWith("int") || type === "long") && min !== null && max !== null && !(Number(v) >= min && Number(v) <= max))
        return `${input.name} = ${text} is out of range [${input.dataset.min}, ${input.dataset.max}]`;
    }
    return null;
  }

  function showProblem(key, message) {
    const field = form.querySelector(`.field[data-key="${CSS.escape(key)}"]`) || form.querySelector('.field[data-key="settings"]');
    field.classList.add("invalid");
    const p = field.querySelector(".problem");
    p.textContent = p.textContent ? p.textContent + "; " + message : message;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const f of form.querySelectorAll(".field")) { f.classList.remove("invalid"); f.querySelector(".problem").textContent = ""; }
    formProblem.textContent = "";
    const settings = {};
    let local = 0;
    for (const input of form.querySelectorAll("[data-key] input[name], [data-key] select[name]")) {
      if (input.name === "model") continue;
      const problem = check(input);
      if (problem) { showProblem(input.name, problem); local++; continue; }
      const value = input.value.trim();
      if (input.tagName === "SELECT" ? value !== input.dataset.default : value !== "") settings[input.name] = value;
    }
    for (const line of extra.value.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const eq = line.indexOf("=");
      if (eq <= 0) { showProblem("settings", `expected key=value, found '${line}'`); local++; continue; }
      settings[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    if (local > 0) { formProblem.textContent = "Fix the fields marked in red (checked here, nothing was sent)."; return; }
    send.disabled = true;
    try {
      const response = await api("/api/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ model: modelSelect.value, settings }) });
      const created = await response.json();
      location.hash = `#/jobs/${encodeURIComponent(created.id)}`;
    } catch (err) {
      const errors = err.problem?.errors;
      if (errors) {
        for (const [key, messages] of Object.entries(errors))
          for (const m of messages) {
            // An unknown key has no field: its message goes next to the key it was probably meant to be.
            const meant = !form.querySelector(`.field[data-key="${CSS.escape(key)}"]`) && (m.match(/did you mean '([^']+)'/) || [])[1];
            showProblem(meant && form.querySelector(`.field[data-key="${CSS.escape(meant)}"]`) ? meant : key, m);
          }
        formProblem.textContent = `The service refused the job: ${err.problem.problems?.length ?? Object.keys(errors).length} problem(s), shown next to the fields.`;
      } else formProblem.textContent = err.message;
    } finally {
      send.disabled = false;
    }
  });
}
