// The latent map in the browser (a Streamlit components.v2 component). It draws every test code
// on a canvas, decodes the point under the pointer with LatentDecoder (decoder.js, inlined
// before this file) at display rate without a word to the server, and on a click shows the
// decoded spot at once and tells the server (setStateValue "spot"). Its slider scrubs the walk
// from A to B, every frame decoded here, and tells the server the final position on release
// (setStateValue "t"). Test hooks: the drawing surface carries data-latent-map="model/map", the hover preview
// data-preview="x,y", the clicked image data-spot="x,y", the scrubbed frame data-frame="t" and
// the scrub control data-scrub; once the model's files are in and its points drawn, the surface
// carries data-drawn="files' URL" (data-error="why" if they could not be loaded). A conditional
// model's map with data.every_label shows, under it, the point under the pointer (else the clicked
// spot) decoded as every class: the strip carries data-every-label="x,y", each picture data-label.

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
          <button class="lm-reset" type="button">Reset zoom</button>
        </div>
        <div class="lm-legend"></div>
        <div class="lm-labels" data-every-label hidden></div>
        <label class="lm-scrub">Walk from A to B:
          <input type="range" min="0" max="1" step="0.01" data-scrub></label>
      </div>
      <div class="lm-panel">
        <figure><div class="lm-pair"><canvas class="lm-preview" width="28" height="28"></canvas>
          <canvas class="lm-original" width="28" height="28" title="the original test image"></canvas></div>
          <figcaption class="lm-preview-caption">Move the pointer over the map</figcaption></figure>
        <figure><canvas class="lm-spot" width="28" height="28"></canvas>
          <figcaption class="lm-spot-caption">Click to keep a spot</figcaption></figure>
        <figure><canvas class="lm-frame" width="28" height="28"></canvas>
          <figcaption class="lm-frame-caption">Drag the walk's slider</figcaption></figure>
      </div>
    </div>`;
  return {
    wrap: root.querySelector(".lm-wrap"),
    stage: root.querySelector(".lm-stage"),
    panel: root.querySelector(".lm-panel"),
    points: root.querySelector(".lm-points"),
    overlay: root.querySelector(".lm-overlay"),
    float: root.querySelector(".lm-float"),
    upload: root.querySelector(".lm-upload"),
    status: root.querySelector(".lm-status"),
    preview: root.querySelector(".lm-preview"),
    original: root.querySelector(".lm-original"),
    previewCaption: root.querySelector(".lm-preview-caption"),
    spot: root.querySelector(".lm-spot"),
    spotCaption: root.querySelector(".lm-spot-caption"),
    reset: root.querySelector(".lm-reset"),
    legend: root.querySelector(".lm-legend"),
    labels: root.querySelector(".lm-labels"),
    scrub: root.querySelector("[data-scrub]"),
    frame: root.querySelector(".lm-frame"),
    frameCaption: root.querySelector(".lm-frame-caption"),
  };
}

// The map's size: as large as its column allows while the side panel still fits beside it, up to
// a share of the window's height (data.fill presenting, 80% for a map alone; else PLAIN_FILL, and
// at least data.size); in a narrow column (three maps in a row) the panel goes under the map
// instead. Run on every rerun, when the window is resized (a teacher pressing F11 after the page
// opened) and when the map's column changes width (the page's layout settling after the first
// draw). Returns whether the canvases changed size.
const PLAIN_FILL = 0.62; // not presenting: a map alone takes about 60% of the window's height or more
const PRESENT_PIC = 160; // presenting: the panel's pictures, legible from the back of a room

function fit(s, el, data, host) {
  const panel = data.fill ? PRESENT_PIC + 16 : 160; // the panel's width beside the map
  const cap = Math.floor(window.innerHeight * (data.fill || PLAIN_FILL));
  const limit = data.fill ? cap : Math.max(data.size, cap);
  const width = host.clientWidth || limit + panel;
  const narrow = width - panel < 240;
  el.wrap.classList.toggle("lm-narrow", narrow);
  el.wrap.classList.toggle("lm-present", Boolean(data.fill));
  const size = narrow ? Math.max(160, Math.min(limit, width - 2)) : Math.max(240, Math.min(limit, width - panel));
  el.legend.style.maxWidth = el.scrub.parentElement.style.maxWidth = el.labels.style.maxWidth = size + "px";
  // presenting, the panel's three pictures with their captions and the slider stay within the
  // map's height: 160 px beside a map alone, smaller beside maps in a row
  const pic = data.fill ? Math.max(72, Math.min(PRESENT_PIC, Math.floor(size / 3 - 80))) : 112;
  el.wrap.style.setProperty("--lm-pic", pic + "px");
  // presenting, the walk's slider sits in the panel under the walk's picture, so the map can
  // take the height and the slider still shows on the first screen
  const scrubHome = data.fill && !narrow ? el.panel : el.legend.parentElement;
  const scrubLabel = el.scrub.parentElement;
  if (scrubLabel.parentElement !== scrubHome) scrubHome.appendChild(scrubLabel);
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
    return true;
  }
  return false;
}

function drawLegendOf(el, data) {
  const layers = data.layers || [];
  el.overlay.dataset.layers = layers.join(","); // what is drawn under the dots, for scripts
  drawLegend(el.legend, layers.includes("error")
    ? [["dot colour: reconstruction error, from the best rebuilt ", { colour: rampCss(0) }, "to the worst ",
        { colour: rampCss(1) }, " (rank among the test images)"]]
    : data.classes.map((c) => [{ colour: data.colours[c] }, String(data.class_names[c])]));
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
  // a conditional model's label is part of what a frame is: another label, other frames
  const walkId = JSON.stringify([data.url, data.map, data.label, data.walk.a, data.walk.b, data.walk.method]);
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

  const host = parentElement.host || parentElement;
  fit(s, el, data, host);
  drawLegendOf(el, data);
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
    if (data.label != null) model.label = data.label; // a conditional model: the digit the page chose
    s.xy = model.maps[data.map].xy;
    s.labels = model.array(model.manifest.labels);
    s.loaded = data; // the rerun whose model and map s.model and s.xy are
    el.status.style.display = "none";
    drawPointsIfStale(s, el);
    drawOverlay(s, el);
    el.overlay.dataset.drawn = data.url; // the model's files are in and its points drawn, for scripts
    const label = String(data.label ?? "");
    if (data.spot && (el.spot.dataset.spot !== `${fmt(data.spot[0])},${fmt(data.spot[1])}` || el.spot.dataset.label !== label)) {
      showSpot(s, el, data.spot[0], data.spot[1]); // not already shown by the click itself (or shown as another label)
    } else if (!data.spot && data.every_label) { // until a click: the middle of the frame, as every class
      const x = (data.box[0][0] + data.box[1][0]) / 2, y = (data.box[0][1] + data.box[1][1]) / 2;
      s.spotShown = null;
      showEveryLabel(s, el, { x, y, code: model.toLatent(data.map, x, y) });
    }
    showFrame(s, el, data.walk.t);
    decodeWalk(s, walkId);
    // then the dataset's images, so a hovered test point shows its original beside its reconstruction
    s.images = null;
    if (data.images) loadImages(data.images).then((images) => { if (s.data === data) s.images = images; });
  }).catch((err) => {
    el.overlay.dataset.error = String(err); // for scripts
    el.status.textContent = "The map could not load the model in this browser: " + err;
  });

  if (!ui.listening) {
    ui.listening = true;
    attach(ui, el);
    let frame = 0;
    const later = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => ui.refit());
    };
    window.addEventListener("resize", later);
    new ResizeObserver(later).observe(host); // the column's own width, as the page's layout settles
  }
  ui.refit = () => { // the latest rerun's map, at the window's new size (once its model is in:
    // a model still loading is drawn at the new size when it comes)
    if (!fit(s, el, s.data, host) || s.loaded !== s.data) return;
    drawPointsIfStale(s, el);
    drawOverlay(s, el);
  };
  if (data.group) {
    if (!groups.has(data.group)) groups.set(data.group, new Set());
    groups.get(data.group).add(ui.member ??= { s, el });
  }
  return () => { for (const g of groups.values()) g.delete(ui.member); };
}

// for a page that mounts the map itself (ui/site/site.js): the same models, loaded once
export { loadModel };
