// The static site's page (ui/site.py writes it with the models' files): the models' maps, each
// drawn and decoded in the browser by the app's own map component (latent_map.js), its state in the
// address with the app's parameter names. Nothing here asks any server but the one serving the
// folder, and nothing from the address or a file is written as HTML: text only.
import mountMap, { loadModel } from "./latent_map.js";

const $ = (id) => document.getElementById(id);
const PATHS = ["lerp", "slerp"];
const PATH_NAMES = { lerp: "straight (lerp)", slerp: "around the middle (slerp)" };
const LAYERS = { manifold: "decoded images", regions: "class regions", error: "error colours", density: "class outlines" };
const MAX = 1e6; // a coordinate larger than this is no spot of any map here

let site = null;
let state = null; // {model, map, spot, a, b, path, t, layers, label}
let drawn = 0; // renders begun: a slower earlier one gives way
const classifiers = {}; // URL -> Promise of a dataset's classifier

function point(v) {
  const p = String(v).split(",");
  if (p.length !== 2 || p.some((s) => s.trim() === "")) return null;
  const xy = p.map(Number);
  return xy.every((x) => Number.isFinite(x) && Math.abs(x) < MAX) ? xy : null;
}

function end(v) { // a test image's index, or a spot x,y
  return /^\d{1,7}$/.test(v) ? Number(v) : point(v);
}

function quote(v) { return JSON.stringify(String(v).slice(0, 40)); }

// the state a URL's parameters describe, and one sentence per value set back to its default
function readState(query) {
  const ignored = [];
  const get = (k) => (query.has(k) ? query.getAll(k) : null);
  const one = (k) => {
    const all = get(k);
    if (all && all.length > 1) ignored.push(`${k} (given ${all.length} times)`);
    return all && all.length === 1 ? all[0] : null;
  };
  const models = site.models;
  let m = models[0];
  const name = one("model");
  if (name !== null) {
    const found = models.find((x) => x.name === name);
    if (found) m = found;
    else ignored.push(`model ${quote(name)} (no such model in this site)`);
  }
  let map = m.maps[0].name;
  const askedMap = one("map");
  if (askedMap !== null) {
    if (m.maps.some((x) => x.name === askedMap)) map = askedMap;
    else ignored.push(`map ${quote(askedMap)} (${m.name} has ${m.maps.map((x) => x.name).join(", ")})`);
  }
  const s = { model: m.name, map, spot: null, a: null, b: null, path: "lerp", t: 0.5, layers: [], label: m.label };
  const label = one("label");
  if (label !== null) {
    if (m.label !== null && /^\d{1,3}$/.test(label) && m.classes.includes(Number(label))) s.label = Number(label);
    else ignored.push(`label ${quote(label)} (${m.label === null ? `${m.name} is not given labels` : "not one of its classes"})`);
  }
  const spot = one("spot");
  if (spot !== null) {
    s.spot = point(spot);
    if (!s.spot) ignored.push(`spot ${quote(spot)} (not x,y)`);
  }
  for (const k of ["a", "b"]) {
    const v = one(k);
    if (v === null) continue;
    s[k] = end(v);
    if (s[k] === null) ignored.push(`${k} ${quote(v)} (not a test image's index, nor x,y)`);
  }
  const path = one("path");
  if (path !== null) {
    if (PATHS.includes(path)) s.path = path;
    else ignored.push(`path ${quote(path)} (lerp or slerp)`);
  }
  const t = one("t");
  if (t !== null) {
    const x = Number(t);
    if (t.trim() !== "" && Number.isFinite(x) && x >= 0 && x <= 1) s.t = x;
    else ignored.push(`t ${quote(t)} (a number from 0 to 1)`);
  }
  const layers = one("layers");
  if (layers !== null && layers !== "") {
    for (const l of layers.split(",")) {
      if (l in LAYERS && !(l === "regions" && m.own_data) && !s.layers.includes(l)) s.layers.push(l);
      else ignored.push(`layer ${quote(l)}`);
    }
  }
  return { state: s, ignored };
}

function writeQuery(push) {
  const q = new URLSearchParams();
  q.set("model", state.model);
  q.set("map", state.map);
  const fmt = (v) => (Array.isArray(v) ? v.map((x) => Number(x.toPrecision(7))).join(",") : String(v));
  if (state.spot) q.set("spot", fmt(state.spot));
  if (state.a !== null) q.set("a", fmt(state.a));
  if (state.b !== null) q.set("b", fmt(state.b));
  if (state.path !== "lerp") q.set("path", state.path);
  if (state.t !== 0.5) q.set("t", String(state.t));
  if (state.layers.length) q.set("layers", state.layers.join(","));
  const m = site.models.find((x) => x.name === state.model);
  if (state.label !== null && state.label !== m.label) q.set("label", String(state.label));
  const url = "?" + q.toString().replaceAll("%2C", ",");
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

function notice(lines) {
  const p = $("notice");
  p.hidden = !lines.length;
  p.textContent = lines.join(" ");
}

function choices(holder, name, options, current, label, onPick) {
  holder.replaceChildren();
  for (const value of options) {
    const l = document.createElement("label"), input = document.createElement("input");
    input.type = "radio";
    input.name = name;
    input.value = value;
    input.checked = value === current;
    input.addEventListener("change", () => onPick(value));
    l.append(input, " " + label(value));
    holder.append(l);
  }
}

function controls(m) {
  const select = $("model");
  if (!select.options.length) {
    for (const x of site.models) select.append(new Option(`${x.name} (${x.title})`, x.name));
    select.addEventListener("change", () => {
      const next = site.models.find((x) => x.name === select.value);
      state = { ...state, model: next.name, map: next.maps[0].name, spot: null, a: null, b: null, label: next.label,
                layers: state.layers.filter((l) => l !== "regions" || !next.own_data) };
      writeQuery(true);
      render();
    });
  }
  select.value = m.name;
  choices($("maps"), "map", m.maps.map((x) => x.name), state.map, (v) => m.maps.find((x) => x.name === v).label, (v) => {
    state = { ...state, map: v, spot: null, a: null, b: null };
    writeQuery(true);
    render();
  });
  choices($("paths"), "path", PATHS, state.path, (v) => "walk " + PATH_NAMES[v], (v) => {
    state = { ...state, path: v };
    writeQuery(false);
    render();
  });
  const layers = $("layers");
  layers.replaceChildren();
  for (const [value, text] of Object.entries(LAYERS)) {
    if (value === "regions" && m.own_data) continue; // read by a dataset's classifier: own images have none
    const l = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox";
    box.checked = state.layers.includes(value);
    box.dataset.layer = value;
    box.addEventListener("change", () => {
      const on = new Set(state.layers);
      if (box.checked) on.add(value);
      else on.delete(value);
      state = { ...state, layers: Object.keys(LAYERS).filter((k) => on.has(k)) };
      writeQuery(false);
      render();
    });
    l.append(box, " " + text);
    layers.append(l);
  }
  $("set-a").disabled = $("set-b").disabled = !state.spot;
  // a model given each image's class draws every point as the class chosen here (the app's "label")
  $("label-choice").hidden = m.label === null;
  const labels = $("label");
  labels.replaceChildren(...(m.label === null ? [] : m.classes.map((c) => new Option(m.class_names[c], String(c)))));
  if (m.label !== null) labels.value = String(state.label);
  labels.onchange = () => {
    state = { ...state, label: Number(labels.value) };
    writeQuery(false);
    render();
  };
}

function sentences(m, mp) {
  $("title").textContent = `${m.name}: the ${mp.title}`;
  document.title = `${m.name}: the ${mp.title} (Latent Explorer)`;
  const what = m.own_data ? "image" : "test image";
  const title = m.title.charAt(0).toUpperCase() + m.title.slice(1);
  $("sentence").textContent = `${title}; each image becomes ${m.latent_dim} numbers. ${mp.explanation} `
    + "Colours are classes; " + (m.told_labels
      ? "the model was told them while learning, so its code keeps what they leave out, the style. "
      : "the model never saw them while learning. ")
    + (m.images ? `Hover a dot to see which ${what} it is` : `Hover a dot to see its ${what} as the model rebuilds it `
       + "(the images themselves are not part of this site)")
    + ", click anywhere to decode that spot, and drag the slider under the map to walk from A to B.";
  $("walk-note").textContent = mp.exact
    ? "The walk goes between the codes of A and B; its line is where each step's code lies on this map."
    : "The walk goes between the codes of A and B; on this map a code has no exact place, so its line joins "
      + "the places of the test codes nearest each step (weighted by nearness).";
}

// a walk's end: a test image (its code and place) or a spot of the map (its place and code)
function endOf(model, map, v, rows) {
  if (typeof v === "number") {
    const row = rows.get(v), k = model.latentDim, xy = model.maps[map].xy;
    return { xy: [xy[2 * row], xy[2 * row + 1]], code: Array.from(model.codes.subarray(row * k, (row + 1) * k)) };
  }
  return { xy: v, code: Array.from(model.toLatent(map, v[0], v[1])) };
}

async function render() {
  const mine = ++drawn;
  const m = site.models.find((x) => x.name === state.model), mp = m.maps.find((x) => x.name === state.map);
  controls(m);
  sentences(m, mp);
  let model;
  try {
    model = await loadModel(m.url);
  } catch (err) {
    if (mine === drawn) notice([`The model ${m.name} could not be loaded from this site's files: ${err}. `
                                + "The other models work; choose one above."]);
    return;
  }
  if (m.classifier && !model.manifest.classifier) { // the dataset's classifier, shared by its models
    try {
      const c = await (classifiers[m.classifier] ??= LatentDecoder.loadClassifier(m.classifier));
      model.manifest.classifier = c.manifest.classifier;
      model.classify = c.classify;
    } catch (err) {
      notice([`The class regions cannot be drawn: ${err}.`]);
    }
  }
  if (mine !== drawn) return;
  const index = model.array(model.manifest.test_index);
  const rows = model.rowsByIndex ??= new Map(Array.from(index, (v, r) => [v, r]));
  const late = [];
  for (const k of ["a", "b"]) {
    if (typeof state[k] === "number" && !rows.has(state[k])) {
      late.push(`${k} ${state[k]} (${m.name} has no test image of that index)`);
      state[k] = null;
    }
  }
  if (late.length) {
    notice(["Part of the link was ignored, so those settings are at their defaults: " + late.join("; ") + "."]);
    writeQuery(false);
  }
  const a = endOf(model, mp.name, state.a ?? mp.ends[0], rows), b = endOf(model, mp.name, state.b ?? mp.ends[1], rows);
  const P = site.path_points, walk = (t) => LatentDecoder.walk(a.code, b.code, state.path, t);
  const path = Array.from({ length: P }, (_, i) => model.toMap(mp.name, walk(i / (P - 1))));
  const data = {
    url: m.url, model: m.name, map: mp.name, size: site.size, label: state.label, fill: null, images: m.images,
    box: mp.box, colours: m.colours, class_names: m.class_names, classes: m.classes, spot: state.spot,
    a: a.xy, b: b.xy, path, at: model.toMap(mp.name, walk(state.t)), ringed: [], layers: state.layers,
    every_label: m.told_labels, walk: { a: a.code, b: b.code, method: state.path, t: state.t },
  };
  mountMap({ parentElement: $("map"), data, key: "site", setTriggerValue: () => {}, setStateValue: (key, value) => {
    if (key === "spot") {
      state = { ...state, spot: value };
      $("set-a").disabled = $("set-b").disabled = false;
    } else if (key === "t") state = { ...state, t: value };
    writeQuery(false);
  } });
}

async function start() {
  try {
    const r = await fetch("site.json");
    if (!r.ok) throw new Error("HTTP " + r.status);
    site = await r.json();
  } catch (err) {
    notice([`This site's list of models (site.json) could not be read: ${err}.`]);
    $("title").textContent = "No models";
    return;
  }
  const { state: s, ignored } = readState(new URLSearchParams(location.search));
  state = s;
  notice(ignored.length ? ["Part of the link was ignored, so those settings are at their defaults: "
                           + ignored.join("; ") + "."] : []);
  for (const k of ["a", "b"]) {
    $("set-" + k).addEventListener("click", () => {
      if (!state.spot) return;
      state = { ...state, [k]: state.spot };
      writeQuery(false);
      render();
    });
  }
  window.addEventListener("popstate", () => {
    const read = readState(new URLSearchParams(location.search));
    state = read.state;
    notice([]);
    render();
  });
  writeQuery(false);
  render();
}

if (location.protocol !== "file:") start();
