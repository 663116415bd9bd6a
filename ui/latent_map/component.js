// The latent map in the browser (a Streamlit components.v2 component). It draws every test code
// on a canvas, decodes the point under the pointer with LatentDecoder (decoder.js, inlined
// before this file) at display rate without a word to the server, and on a click shows the
// decoded spot at once and tells the server (setStateValue "spot"). Its slider scrubs the walk
// from A to B, every frame decoded here, and tells the server the final position on release
// (setStateValue "t"). Test hooks: the drawing surface carries data-latent-map="model/map", the hover preview
// data-preview="x,y", the clicked image data-spot="x,y", the scrubbed frame data-frame="t" and
// the scrub control data-scrub; once the model's files are in and its points drawn, the surface
// carries data-drawn="files' URL" (data-error="why" if they could not be loaded).

const models = new Map(); // model files URL -> Promise<LatentDecoder.Model>, kept across reruns
const views = new Map(); // component key -> {model, map, lo, hi}: zoom and pan survive reruns
const imageSets = new Map(); // test images URL -> Promise<Uint8Array> (N x 784), kept across reruns
// maps mounted with the same data.group (the /compare page's two maps): scrubbing one walk moves
// the others with it. Every instance runs this same module, so they meet here.
const groups = new Map(); // group -> Set of {s, el}

// the walk of every other map in s's group, shown at t
function scrubGroup(s, t, done) {
  for (const other of groups.get(s.data.group) || []) {
    if (other.s === s || !other.s.model) continue;
    other.el.scrub.value = t;
    showFrame(other.s, other.el, t);
    other.s.scrubAt = done ? null : pathAt(other.s.data.path, t);
    drawOverlay(other.s, other.el);
  }
}

// a dataset's test images (explorer/webexport.py: write_images), fetched once; null if they fail
function loadImages(url) {
  if (!imageSets.has(url)) {
    imageSets.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    }).then((b) => new Uint8Array(b)).catch(() => null));
  }
  return imageSets.get(url);
}
const PICK_PX = 4; // a pointer this close to a test point shows that test image

function loadModel(url) {
  if (!models.has(url)) models.set(url, LatentDecoder.load(url));
  return models.get(url);
}

function fmt(v) {
  return Number(v.toPrecision(7)).toString();
}

function drawDigit(canvas, pixels) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// The legend: one span per entry, each a list of texts and swatches ({colour}). Names go in as
// text nodes, never as HTML.
function drawLegend(el, entries) {
  el.replaceChildren(...entries.map((parts) => {
    const item = document.createElement("span");
    for (const part of parts) {
      if (typeof part === "string") { item.append(part); continue; }
      const swatch = document.createElement("i");
      swatch.style.background = part.colour;
      item.append(swatch);
    }
    return item;
  }));
}

function build(root) {
  root.innerHTML = `
    <div class="lm-wrap">
      <div class="lm-left">
        <div class="lm-stage">
          <canvas class="lm-points"></canvas>
          <canvas class="lm-overlay" data-latent-map tabindex="0"></canvas>
          <canvas class="lm-float" width="28" height="28"></canvas>
          <div class="lm-upload" title="your digit"></div>
          <div class="lm-status">Loading the model into the browser...</div>
        </div>
        <div class="lm-legend"></div>
        <label class="lm-scrub">Walk from A to B:
          <input type="range" min="0" max="1" step="0.01" data-scrub></label>
      </div>
      <div class="lm-panel">
        <figure><canvas class="lm-preview" width="28" height="28"></canvas>
          <figcaption class="lm-preview-caption">Move the pointer over the map</figcaption></figure>
        <figure><canvas class="lm-spot" width="28" height="28"></canvas>
          <figcaption class="lm-spot-caption">Click to keep a spot</figcaption></figure>
        <figure><canvas class="lm-frame" width="28" height="28"></canvas>
          <figcaption class="lm-frame-caption">Drag the walk's slider</figcaption></figure>
        <button class="lm-reset" type="button">Reset zoom</button>
      </div>
    </div>`;
  return {
    wrap: root.querySelector(".lm-wrap"),
    stage: root.querySelector(".lm-stage"),
    points: root.querySelector(".lm-points"),
    overlay: root.querySelector(".lm-overlay"),
    float: root.querySelector(".lm-float"),
    upload: root.querySelector(".lm-upload"),
    status: root.querySelector(".lm-status"),
    preview: root.querySelector(".lm-preview"),
    previewCaption: root.querySelector(".lm-preview-caption"),
    spot: root.querySelector(".lm-spot"),
    spotCaption: root.querySelector(".lm-spot-caption"),
    reset: root.querySelector(".lm-reset"),
    legend: root.querySelector(".lm-legend"),
    scrub: root.querySelector("[data-scrub]"),
    frame: root.querySelector(".lm-frame"),
    frameCaption: root.querySelector(".lm-frame-caption"),
  };
}

export default function (component) {
  const { parentElement, data, key, setStateValue } = component;
  let ui = parentElement.__latentMap;
  if (!ui) {
    const root = document.createElement("div");
    parentElement.appendChild(root);
    ui = parentElement.__latentMap = { el: build(root), state: {} };
  }
  const el = ui.el;
  const s = ui.state; // what the handlers below read; replaced on every rerun's data
  Object.assign(s, { data, key, setStateValue, committed: null, scrubAt: null, rgb: null });
  const walkId = JSON.stringify([data.url, data.map, data.walk.a, data.walk.b, data.walk.method]);
  if (s.walkId !== walkId) {
    s.walkId = walkId;
    s.frames = new Map(); // scrub position (hundredths) -> decoded frame
  }
  if (!s.scrubbing) el.scrub.value = data.walk.t;
  el.overlay.dataset.latentMap = `${data.model}/${data.map}`; // which map this is, for scripts

  const saved = views.get(key);
  if (!saved || saved.model !== data.model || saved.map !== data.map) {
    views.set(key, { model: data.model, map: data.map, lo: data.box[0].slice(), hi: data.box[1].slice() });
  }
  s.view = views.get(key);

  // as large as data.size allows while the side panel still fits beside the map; in a narrow
  // column (three maps in a row) the panel goes under the map instead
  const host = parentElement.host || parentElement;
  // in presentation mode (data.fill) the cap is that share of the window's height, not data.size
  const panel = data.fill ? 176 : 160;
  const cap = data.fill ? Math.floor(window.innerHeight * data.fill) : data.size;
  const width = host.clientWidth || cap + panel;
  const narrow = width - panel < 240;
  el.wrap.classList.toggle("lm-narrow", narrow);
  el.wrap.classList.toggle("lm-present", Boolean(data.fill));
  const size = narrow ? Math.max(160, Math.min(cap, width - 2)) : Math.max(240, Math.min(cap, width - panel));
  el.legend.style.maxWidth = el.scrub.parentElement.style.maxWidth = size + "px";
  // presenting, the panel's three pictures and the slider stay within the map's height
  el.wrap.style.setProperty("--lm-pic", Math.max(72, Math.min(140, Math.floor((size - 250) / 3))) + "px");
  // presenting, the walk's slider sits in the panel under the walk's picture, so the map can
  // take the height and the slider still shows on the first screen
  const scrubHome = data.fill && !narrow ? el.reset.parentElement : el.legend.parentElement;
  const scrubLabel = el.scrub.parentElement;
  if (scrubLabel.parentElement !== scrubHome) {
    scrubHome.insertBefore(scrubLabel, scrubHome === el.legend.parentElement ? null : el.reset);
  }
  const layers = data.layers || [];
  el.overlay.dataset.layers = layers.join(","); // what is drawn under the dots, for scripts
  drawLegend(el.legend, layers.includes("error")
    ? [["dot colour: reconstruction error, from the best rebuilt ", { colour: rampCss(0) }, "to the worst ",
        { colour: rampCss(1) }, " (rank among the test images)"]]
    : data.classes.map((c) => [{ colour: data.colours[c] }, String(data.class_names[c])]));
  const dpr = window.devicePixelRatio || 1;
  if (s.size !== size || s.dpr !== dpr) { // resizing clears a canvas: only when the size changes
    el.stage.style.width = el.stage.style.height = size + "px";
    for (const c of [el.points, el.overlay]) {
      c.width = Math.round(size * dpr);
      c.height = Math.round(size * dpr);
      c.style.width = c.style.height = size + "px";
    }
    s.size = size;
    s.dpr = dpr;
    s.pointsDrawn = null;
  }

  const toPx = (x, y) => {
    const v = s.view;
    return [((x - v.lo[0]) / (v.hi[0] - v.lo[0])) * s.size, (1 - (y - v.lo[1]) / (v.hi[1] - v.lo[1])) * s.size];
  };
  const toData = (px, py) => {
    const v = s.view;
    return [v.lo[0] + (px / s.size) * (v.hi[0] - v.lo[0]), v.lo[1] + (1 - py / s.size) * (v.hi[1] - v.lo[1])];
  };
  s.toPx = toPx;
  s.toData = toData;

  loadModel(data.url).then((model) => {
    if (s.data !== data) return; // a newer rerun took over
    s.model = model;
    s.xy = model.maps[data.map].xy;
    s.labels = model.array(model.manifest.labels);
    el.status.style.display = "none";
    // a rerun after a click changes the rings and the spot, not the points: 10,000 of them are
    // redrawn only for another model, map, zoom or size
    const drawn = JSON.stringify([data.url, data.map, s.view.lo, s.view.hi, s.size, s.dpr, data.layers]);
    if (s.pointsDrawn !== drawn) {
      drawPoints(s, el);
      s.pointsDrawn = drawn;
    }
    drawOverlay(s, el);
    el.overlay.dataset.drawn = data.url; // the model's files are in and its points drawn, for scripts
    if (data.spot && el.spot.dataset.spot !== `${fmt(data.spot[0])},${fmt(data.spot[1])}`) {
      showSpot(s, el, data.spot[0], data.spot[1]); // not already shown by the click itself
    }
    showFrame(s, el, data.walk.t);
    decodeWalk(s, walkId);
    // then the dataset's images, so a hovered test point shows itself rather than its reconstruction
    s.images = null;
    if (data.images) loadImages(data.images).then((images) => { if (s.data === data) s.images = images; });
  }).catch((err) => {
    el.overlay.dataset.error = String(err); // for scripts
    el.status.textContent = "The map could not load the model in this browser: " + err;
  });

  if (!ui.listening) {
    ui.listening = true;
    attach(ui, el);
  }
  if (data.group) {
    if (!groups.has(data.group)) groups.set(data.group, new Set());
    groups.get(data.group).add(ui.member ??= { s, el });
  }
  return () => { for (const g of groups.values()) g.delete(ui.member); };
}

// Every test point as a small square in its class's colour, 75% opaque, written straight into
// the canvas's pixels: 100,000 points redraw in a few milliseconds (bench/scale.py), where a
// fillRect per point takes over 100 ms.
function drawPoints(s, el) {
  const ctx = el.points.getContext("2d");
  const w = el.points.width, h = el.points.height, n = s.xy.length / 2;
  const layers = s.data.layers || [];
  let img;
  if (layers.includes("manifold") || layers.includes("regions")) { // the decoded grid so far, under the dots
    buildManifold(s, el);
    img = s.manifold.canvas.getContext("2d").getImageData(0, 0, w, h);
  } else {
    img = ctx.createImageData(w, h);
    new Uint32Array(img.data.buffer).fill(0xffffffff); // white (RGBA bytes; any order reads white)
  }
  const rgb = (s.rgb ??= s.data.colours.map(parseColour));
  const byError = layers.includes("error") ? errorColours(s) : null;
  const grey = [136, 136, 136];
  const side = Math.max(2, Math.round((n > 50000 ? 2 : 3.2) * s.dpr)), half = side / 2;
  const d = img.data, a = 0.75;
  for (let i = 0; i < n; i++) {
    const [cx, cy] = s.toPx(s.xy[2 * i], s.xy[2 * i + 1]);
    const x0 = Math.round(cx * s.dpr - half), y0 = Math.round(cy * s.dpr - half);
    if (x0 + side <= 0 || y0 + side <= 0 || x0 >= w || y0 >= h) continue;
    const c = byError ? byError[i] : rgb[s.labels[i]] || grey;
    for (let y = Math.max(0, y0); y < Math.min(h, y0 + side); y++) {
      for (let x = Math.max(0, x0), j = (y * w + x) * 4; x < Math.min(w, x0 + side); x++, j += 4) {
        d[j] += a * (c[0] - d[j]);
        d[j + 1] += a * (c[1] - d[j + 1]);
        d[j + 2] += a * (c[2] - d[j + 2]);
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

// colour ramp from dark purple (0) through teal to yellow (1), like viridis
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function ramp(u) {
  const x = Math.min(1, Math.max(0, u)) * (RAMP.length - 1), i = Math.min(RAMP.length - 2, Math.floor(x)), f = x - i;
  return RAMP[i].map((v, j) => Math.round(v + f * (RAMP[i + 1][j] - v)));
}
function rampCss(u) { return `rgb(${ramp(u).join(",")})`; }

// each test point's colour by the rank of its reconstruction error (computed once per model)
function errorColours(s) {
  if (s.errorRgb && s.errorRgb.model === s.model) return s.errorRgb.colours;
  const err = s.model.array(s.model.manifest.recon_error), n = err.length;
  const order = Array.from(err.keys()).sort((a, b) => err[a] - err[b]);
  const colours = new Array(n);
  order.forEach((row, rank) => { colours[row] = ramp(rank / Math.max(1, n - 1)); });
  s.errorRgb = { model: s.model, colours };
  return colours;
}

// The decoded manifold: a 14 x 14 grid over the visible region, each cell the image decoded at
// its centre (on t-SNE maps, at the estimated code), grey ink on white so the dots stay visible;
// with the class regions layer, each cell tinted with the class the dataset's classifier reads
// in that image. Decoded in idle time, redrawn as it fills; worked out again after a zoom or a pan.
const GRID = 14;
function buildManifold(s, el) {
  const layers = s.data.layers || [];
  const key = JSON.stringify([s.data.url, s.data.map, s.view.lo, s.view.hi, s.size, s.dpr, layers]);
  if (s.manifold && s.manifold.key === key) return;
  const w = Math.round(s.size * s.dpr), canvas = document.createElement("canvas");
  canvas.width = canvas.height = w;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, w);
  const m = (s.manifold = { key, canvas, done: 0, images: layers.includes("manifold"),
    regions: layers.includes("regions") && !!s.model.manifest.classifier, classes: [] });
  const tile = document.createElement("canvas");
  tile.width = tile.height = 28;
  const tctx = tile.getContext("2d"), pixels = tctx.createImageData(28, 28);
  const cell = s.size / GRID;
  const step = (deadline) => {
    if (s.manifold !== m || !s.model) return;
    do {
      const gx = m.done % GRID, gy = Math.floor(m.done / GRID);
      const [x, y] = s.toData((gx + 0.5) * cell, (gy + 0.5) * cell);
      const image = s.model.decode(s.model.toLatent(s.data.map, x, y));
      // class regions: the cell tinted with the class the classifier reads in its image
      const cls = m.regions ? s.model.classify(image) : null;
      const bg = cls === null ? [255, 255, 255]
        : (s.rgb ??= s.data.colours.map(parseColour))[cls].map((v) => Math.round(255 - 0.45 * (255 - v)));
      if (cls !== null) m.classes[m.done] = cls;
      for (let i = 0; i < 784; i++) {
        const ink = m.images ? Math.min(1, Math.max(0, image[i])) * 0.6 : 0; // grey ink over the tint
        pixels.data[4 * i] = Math.round(bg[0] * (1 - ink));
        pixels.data[4 * i + 1] = Math.round(bg[1] * (1 - ink));
        pixels.data[4 * i + 2] = Math.round(bg[2] * (1 - ink));
        pixels.data[4 * i + 3] = 255;
      }
      tctx.putImageData(pixels, 0, 0);
      ctx.drawImage(tile, gx * cell * s.dpr, gy * cell * s.dpr, cell * s.dpr, cell * s.dpr);
      m.done++;
    } while (m.done < GRID * GRID && deadline.timeRemaining() > 8);
    el.overlay.dataset.manifold = String(m.done); // cells decoded so far, for scripts
    if (m.regions) el.overlay.dataset.regions = m.classes.join(""); // each cell's class, row by row
    s.pointsDrawn = null;
    drawPoints(s, el);
    if (m.done < GRID * GRID) whenIdle(step);
  };
  whenIdle(step);
}

// Per-class density contours: for each class a 48 x 48 histogram of its points over the visible
// region, smoothed by a Gaussian (1.5 cells), and the line enclosing the densest half of the class
// (marching squares). Worked out once per view, kept as segments in map coordinates.
const DENSITY_GRID = 48;
function densityContours(s) {
  const key = JSON.stringify([s.data.url, s.data.map, s.view.lo, s.view.hi]);
  if (s.density && s.density.key === key) return s.density.lines;
  const G = DENSITY_GRID, { lo, hi } = s.view, n = s.xy.length / 2, lines = [];
  const kernel = [-3, -2, -1, 0, 1, 2, 3].map((d) => Math.exp(-(d * d) / (2 * 1.5 * 1.5)));
  for (const c of s.data.classes) {
    const h = new Float32Array(G * G);
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (s.labels[i] !== c) continue;
      const gx = Math.floor(((s.xy[2 * i] - lo[0]) / (hi[0] - lo[0])) * G);
      const gy = Math.floor(((s.xy[2 * i + 1] - lo[1]) / (hi[1] - lo[1])) * G);
      if (gx < 0 || gy < 0 || gx >= G || gy >= G) continue;
      h[gy * G + gx] += 1;
      count++;
    }
    if (count < 10) continue;
    const blur = (src, dx, dy) => {
      const out = new Float32Array(G * G);
      for (let y = 0; y < G; y++) for (let x = 0; x < G; x++) {
        let acc = 0;
        kernel.forEach((k, j) => {
          const xx = x + (j - 3) * dx, yy = y + (j - 3) * dy;
          if (xx >= 0 && yy >= 0 && xx < G && yy < G) acc += k * src[yy * G + xx];
        });
        out[y * G + x] = acc;
      }
      return out;
    };
    const d = blur(blur(h, 1, 0), 0, 1);
    // the level whose superlevel set holds half the (smoothed) mass
    const sorted = Array.from(d).sort((a, b) => b - a), total = sorted.reduce((a, b) => a + b, 0);
    let acc = 0, level = sorted[0];
    for (const v of sorted) { acc += v; level = v; if (acc >= total / 2) break; }
    const segments = [];
    const at = (x, y) => [lo[0] + ((x + 0.5) / G) * (hi[0] - lo[0]), lo[1] + ((y + 0.5) / G) * (hi[1] - lo[1])];
    const mix = (a, b, va, vb) => { const f = (level - va) / (vb - va || 1e-12); return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])]; };
    for (let y = 0; y < G - 1; y++) for (let x = 0; x < G - 1; x++) {
      const v = [d[y * G + x], d[y * G + x + 1], d[(y + 1) * G + x + 1], d[(y + 1) * G + x]];
      const p = [at(x, y), at(x + 1, y), at(x + 1, y + 1), at(x, y + 1)];
      const cut = [];
      for (let e = 0; e < 4; e++) {
        const a = e, b = (e + 1) % 4;
        if ((v[a] >= level) !== (v[b] >= level)) cut.push(mix(p[a], p[b], v[a], v[b]));
      }
      for (let q = 0; q + 1 < cut.length; q += 2) segments.push(cut[q], cut[q + 1]);
    }
    lines.push({ colour: s.data.colours[c], segments });
  }
  s.density = { key, lines };
  return lines;
}

// a CSS colour as [r, g, b], read back from a 1-pixel canvas
function parseColour(colour) {
  const c = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  c.fillStyle = colour;
  c.fillRect(0, 0, 1, 1);
  return Array.from(c.getImageData(0, 0, 1, 1).data.slice(0, 3));
}

// a filled circle with an outline
function dot(ctx, px, py, r, fill, stroke, width) {
  ctx.fillStyle = fill;
  ctx.strokeStyle = stroke;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.arc(px, py, r, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
}

function drawOverlay(s, el, hover) {
  const ctx = el.overlay.getContext("2d");
  ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
  ctx.clearRect(0, 0, s.size, s.size);
  const d = s.data;
  if (d.path && d.path.length > 1) {
    ctx.setLineDash([2, 4]);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#222";
    ctx.beginPath();
    d.path.forEach(([x, y], i) => (i ? ctx.lineTo(...s.toPx(x, y)) : ctx.moveTo(...s.toPx(x, y))));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const [label, p] of [["A", d.a], ["B", d.b]]) {
    if (!p) continue;
    const [px, py] = s.toPx(p[0], p[1]);
    dot(ctx, px, py, 6, "#fff", "#222", 2);
    ctx.fillStyle = "#222";
    ctx.font = "bold 15px sans-serif";
    ctx.fillText(label, px - 4, py - 10);
  }
  if ((d.layers || []).includes("density") && s.xy) {
    const lines = densityContours(s);
    for (const { colour, segments } of lines) {
      ctx.beginPath();
      for (let i = 0; i < segments.length; i += 2) {
        ctx.moveTo(...s.toPx(...segments[i]));
        ctx.lineTo(...s.toPx(...segments[i + 1]));
      }
      ctx.lineWidth = 4.5; // a white halo, so the line stands out over its own class's dots
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      ctx.lineWidth = 2;
      ctx.strokeStyle = colour;
      ctx.stroke();
    }
    el.overlay.dataset.density = String(lines.length); // classes with a contour, for scripts
  }
  // contours the page asks for (a VAE's posterior and prior) and sampled codes
  for (const c of d.curves || []) {
    ctx.setLineDash(c.dash ? [5, 4] : []);
    ctx.lineWidth = c.width || 1.5;
    ctx.strokeStyle = c.colour;
    ctx.beginPath();
    c.points.forEach(([x, y], i) => (i ? ctx.lineTo(...s.toPx(x, y)) : ctx.moveTo(...s.toPx(x, y))));
    ctx.stroke();
  }
  ctx.setLineDash([]);
  for (const [x, y] of d.samples || []) {
    dot(ctx, ...s.toPx(x, y), 3.5, "#D00", "#fff", 1);
  }
  // the drawn or uploaded digit: a marker element, so scripts find it by data-upload
  if (d.upload) {
    const [px, py] = s.toPx(d.upload[0], d.upload[1]);
    el.upload.dataset.upload = `${fmt(d.upload[0])},${fmt(d.upload[1])}`;
    el.upload.style.display = px < 0 || py < 0 || px > s.size || py > s.size ? "none" : "block";
    el.upload.style.left = px + "px";
    el.upload.style.top = py + "px";
  } else {
    el.upload.style.display = "none";
    delete el.upload.dataset.upload;
  }
  const at = s.scrubAt || d.at;
  if (at) {
    const [px, py] = s.toPx(at[0], at[1]);
    ctx.fillStyle = "#222";
    ctx.beginPath();
    ctx.moveTo(px, py - 7); ctx.lineTo(px + 7, py); ctx.lineTo(px, py + 7); ctx.lineTo(px - 7, py);
    ctx.fill();
  }
  if (!s.committed) {  // the test points an estimated spot was borrowed from (until a new click)
    ctx.strokeStyle = "#D00";
    ctx.lineWidth = 1.5;
    for (const [x, y] of d.ringed || []) {
      const [px, py] = s.toPx(x, y);
      ctx.beginPath();
      ctx.arc(px, py, 5, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  const spot = s.committed || d.spot;
  if (spot) {
    const [px, py] = s.toPx(spot[0], spot[1]);
    ctx.strokeStyle = "#D00";
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(px - 7, py - 7); ctx.lineTo(px + 7, py + 7);
    ctx.moveTo(px + 7, py - 7); ctx.lineTo(px - 7, py + 7);
    ctx.stroke();
  }
  if (hover && hover.row !== null) {
    const [px, py] = s.toPx(s.xy[2 * hover.row], s.xy[2 * hover.row + 1]);
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

// the test point within PICK_PX of the pointer, nearest first; null if none
function pickRow(s, px, py) {
  const n = s.xy.length / 2;
  const [x0, y0] = s.toData(px - PICK_PX, py + PICK_PX), [x1, y1] = s.toData(px + PICK_PX, py - PICK_PX);
  let best = null, bestD = Infinity;
  for (let i = 0; i < n; i++) {
    const x = s.xy[2 * i], y = s.xy[2 * i + 1];
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    const [qx, qy] = s.toPx(x, y);
    const dd = (qx - px) ** 2 + (qy - py) ** 2;
    if (dd <= PICK_PX * PICK_PX && dd < bestD) { bestD = dd; best = i; }
  }
  return best;
}

// what the pointer at (px, py) shows: a test image, or the decoded spot
function under(s, px, py) {
  const row = pickRow(s, px, py);
  if (row !== null) {
    const x = s.xy[2 * row], y = s.xy[2 * row + 1];
    const original = testImage(s, row);
    if (original) return { row, x, y, image: original, original: true };
    const code = s.model.codes.subarray(row * s.model.latentDim, (row + 1) * s.model.latentDim);
    return { row, x, y, image: s.model.decode(code) };
  }
  const [x, y] = s.toData(px, py);
  return { row: null, x, y, image: s.model.decode(s.model.toLatent(s.data.map, x, y)) };
}

// the dataset's own image for a test point (pixels in [0, 1]), or null before (or without) them
function testImage(s, row) {
  const index = s.model.array(s.model.manifest.test_index)[row];
  if (!s.images || (index + 1) * 784 > s.images.length) return null;
  const out = new Float32Array(784);
  for (let i = 0, j = index * 784; i < 784; i++, j++) out[i] = s.images[j] / 255;
  return out;
}

function describe(s, h) {
  const index = h.row === null ? null : s.model.array(s.model.manifest.test_index)[h.row];
  if (s.data.fill) { // presenting: short enough for two lines at 20 px beside the map
    return h.row === null ? `(${h.x.toPrecision(3)}, ${h.y.toPrecision(3)})` : `#${index}, a ${s.data.class_names[s.labels[h.row]]}`;
  }
  if (h.row === null) return `the spot (${h.x.toFixed(2)}, ${h.y.toFixed(2)})`;
  return `test image #${index} (a ${s.data.class_names[s.labels[h.row]]})${h.original ? "" : ", reconstructed"}`;
}

// the test point at (x, y), to the 7 digits a URL keeps (explorer/view.py: SAME_POINT), or null
function exactRow(s, x, y) {
  const tol = 2e-6 * Math.max(Math.abs(x), Math.abs(y)) + 1e-12, n = s.xy.length / 2;
  for (let i = 0; i < n; i++) {
    if (Math.abs(s.xy[2 * i] - x) <= tol && Math.abs(s.xy[2 * i + 1] - y) <= tol) return i;
  }
  return null;
}

// the committed spot: always what the decoder makes of it (on a test point, its reconstruction;
// the server's panel puts the original beside it)
function showSpot(s, el, x, y, h) {
  if (!s.model) return;
  if (!h || h.original) {
    const row = h ? h.row : exactRow(s, x, y), k = s.model.latentDim;
    const code = row === null ? s.model.toLatent(s.data.map, x, y) : s.model.codes.subarray(row * k, (row + 1) * k);
    h = { row, x, y, image: s.model.decode(code) };
  }
  drawDigit(el.spot, h.image);
  el.spot.dataset.spot = `${fmt(x)},${fmt(y)}`;
  el.spotCaption.textContent = (s.data.fill ? "click: " : "your click: ") + describe(s, h);
}

// the walk's latent vector at t, as explorer/generate.py walks (lerp, or slerp: Shoemake 1985)
function walkCode(w, t) {
  const a = w.a, b = w.b, k = a.length, z = new Float32Array(k);
  const lerp = () => { for (let j = 0; j < k; j++) z[j] = (1 - t) * a[j] + t * b[j]; return z; };
  if (t === 0) return Float32Array.from(a);
  if (t === 1) return Float32Array.from(b);
  if (w.method !== "slerp") return lerp();
  const na = Math.hypot(...a), nb = Math.hypot(...b);
  if (na === 0 || nb === 0) return lerp();
  let dot = 0;
  for (let j = 0; j < k; j++) dot += (a[j] / na) * (b[j] / nb);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot)));
  if (omega < 1e-6 || Math.PI - omega < 1e-6) return lerp();
  const sa = Math.sin((1 - t) * omega) / Math.sin(omega), sb = Math.sin(t * omega) / Math.sin(omega);
  const length = (1 - t) * na + t * nb;
  for (let j = 0; j < k; j++) z[j] = (sa * a[j] / na + sb * b[j] / nb) * length;
  return z;
}

function frameAt(s, t) {
  const step = Math.round(t * 100);
  if (!s.frames.has(step)) s.frames.set(step, s.model.decode(walkCode(s.data.walk, step / 100)));
  return s.frames.get(step);
}

// Decodes the walk's 101 frames ahead of scrubbing in the browser's idle time, a frame only when
// it fits before the next pointer event is due, so previews never wait behind it (a conv decoder
// takes 4-7 ms a frame here).
const whenIdle = globalThis.requestIdleCallback
  ? (f) => requestIdleCallback(f, { timeout: 1000 })
  : (f) => setTimeout(() => f({ didTimeout: true, timeRemaining: () => 0 }), 16);

function decodeWalk(s, walkId) {
  let step = 0, cost = 1;
  const slice = (deadline) => {
    if (s.walkId !== walkId || !s.model) return;
    if (deadline.didTimeout && step < 101) frameAt(s, step++ / 100); // never idle: still progress
    while (step < 101 && deadline.timeRemaining() > cost + 1) {
      const t0 = performance.now();
      frameAt(s, step++ / 100);
      cost = Math.max(cost, performance.now() - t0); // a decode's worst time so far
    }
    if (step < 101) whenIdle(slice);
  };
  whenIdle(slice);
}

// the marker's place on the map at t, along the drawn path (its points evenly spaced in t)
function pathAt(path, t) {
  const u = t * (path.length - 1), i = Math.min(Math.floor(u), path.length - 2), f = u - i;
  return [path[i][0] + f * (path[i + 1][0] - path[i][0]), path[i][1] + f * (path[i + 1][1] - path[i][1])];
}

function showFrame(s, el, t) {
  if (!s.model) return;
  drawDigit(el.frame, frameAt(s, t));
  el.frame.dataset.frame = String(Math.round(t * 100) / 100);
  el.frameCaption.textContent = s.data.fill ? `walk at ${t.toFixed(2)}` : `the walk at ${t.toFixed(2)} (${s.data.walk.method})`;
}

function attach(ui, el) {
  const s = ui.state;
  let pending = null, drag = null;

  const local = (ev) => {
    const r = el.overlay.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };

  const hoverAt = (px, py) => {
    if (!s.model) return;
    const h = under(s, px, py);
    drawDigit(el.preview, h.image);
    drawDigit(el.float, h.image);
    el.preview.dataset.preview = `${fmt(h.x)},${fmt(h.y)}`;
    el.previewCaption.textContent = (s.data.fill ? "pointer: " : "under the pointer: ") + describe(s, h);
    el.float.style.display = "block";
    const side = el.float.offsetWidth || 56; // 112 px when presenting (style.css)
    el.float.style.left = Math.min(px + 14, s.size - side - 4) + "px";
    el.float.style.top = Math.max(py - side - 14, 0) + "px";
    drawOverlay(s, el, h);
  };

  el.overlay.addEventListener("pointermove", (ev) => {
    const [px, py] = local(ev);
    if (drag) {
      const dx = px - drag.px, dy = py - drag.py;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        const v = s.view, w = v.hi[0] - v.lo[0], hgt = v.hi[1] - v.lo[1];
        const ox = (-dx / s.size) * w, oy = (dy / s.size) * hgt;
        v.lo = [drag.lo[0] + ox, drag.lo[1] + oy];
        v.hi = [drag.hi[0] + ox, drag.hi[1] + oy];
        drawPoints(s, el);
        drawOverlay(s, el);
        return;
      }
    }
    // decode at most once per frame: the newest pointer position wins
    if (pending === null) {
      pending = requestAnimationFrame(() => {
        pending = null;
        hoverAt(...s.last);
      });
    }
    s.last = [px, py];
  });
  el.overlay.addEventListener("pointerleave", () => {
    el.float.style.display = "none";
    if (s.model) drawOverlay(s, el);
  });
  el.overlay.addEventListener("pointerdown", (ev) => {
    const [px, py] = local(ev);
    drag = { px, py, lo: s.view.lo.slice(), hi: s.view.hi.slice(), moved: false };
    el.overlay.setPointerCapture(ev.pointerId);
  });
  el.overlay.addEventListener("pointerup", (ev) => {
    const wasDrag = drag && drag.moved;
    drag = null;
    if (wasDrag || !s.model) return;
    const [px, py] = local(ev);
    const h = under(s, px, py);
    s.committed = [h.x, h.y];
    showSpot(s, el, h.x, h.y, h);
    drawOverlay(s, el, h);
    s.setStateValue("spot", [h.x, h.y]);
  });
  el.overlay.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [px, py] = local(ev);
    const [cx, cy] = s.toData(px, py);
    const f = Math.exp(ev.deltaY * 0.0015);
    const v = s.view;
    v.lo = [cx - (cx - v.lo[0]) * f, cy - (cy - v.lo[1]) * f];
    v.hi = [cx + (v.hi[0] - cx) * f, cy + (v.hi[1] - cy) * f];
    drawPoints(s, el);
    drawOverlay(s, el);
  }, { passive: false });
  el.scrub.addEventListener("input", () => {
    if (!s.model) return;
    s.scrubbing = true;
    const t = Number(el.scrub.value);
    showFrame(s, el, t);
    s.scrubAt = pathAt(s.data.path, t);
    drawOverlay(s, el);
    scrubGroup(s, t, false);
  });
  el.scrub.addEventListener("change", () => { // let go: the server hears the final position
    s.scrubbing = false;
    s.setStateValue("t", Number(el.scrub.value));
  });
  el.reset.addEventListener("click", () => {
    s.view.lo = s.data.box[0].slice();
    s.view.hi = s.data.box[1].slice();
    drawPoints(s, el);
    drawOverlay(s, el);
  });
}
