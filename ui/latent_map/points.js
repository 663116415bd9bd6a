// Every test point as a small square in its class's colour, 75% opaque, written straight into
// the canvas's pixels: 100,000 points redraw in a few milliseconds (bench/scale.py), where a
// fillRect per point takes over 100 ms. Larger maps are drawn by WebGL2 (glpoints.js) over what
// this canvas holds under the dots; el.overlay's data-points says which drew them, for scripts.
function drawPoints(s, el) {
  const ctx = el.points.getContext("2d");
  const w = el.points.width, h = el.points.height, n = s.xy.length / 2;
  const layers = s.data.layers || [];
  const manifold = layers.includes("manifold") || layers.includes("regions");
  if (manifold) buildManifold(s, el); // the decoded grid so far, under the dots
  const rgb = (s.rgb ??= s.data.colours.map(parseColour));
  const byError = layers.includes("error") ? errorColours(s) : null;
  if (n > GL_POINTS && drawPointsGL(s, el, byError)) {
    if (manifold) ctx.drawImage(s.manifold.canvas, 0, 0);
    else {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, w, h);
    }
    el.overlay.dataset.points = "webgl2";
    return;
  }
  if (el.gl) el.gl.canvas.hidden = true;
  el.overlay.dataset.points = "canvas";
  const img = manifold ? s.manifold.canvas.getContext("2d").getImageData(0, 0, w, h) : ctx.createImageData(w, h);
  if (!manifold) new Uint32Array(img.data.buffer).fill(0xffffffff); // white (RGBA bytes; any order reads white)
  const grey = [136, 136, 136];
  const side = pointSide(s, n), half = side / 2;
  const d = img.data, a = 0.75, xy = s.xy;
  // s.toPx in device pixels, written out: a million points allocate nothing
  const v = s.view, kx = (s.size * s.dpr) / (v.hi[0] - v.lo[0]), ky = (s.size * s.dpr) / (v.hi[1] - v.lo[1]);
  const ox = v.lo[0], oy = v.hi[1];
  for (let i = 0; i < n; i++) {
    const x0 = Math.round((xy[2 * i] - ox) * kx - half), y0 = Math.round((oy - xy[2 * i + 1]) * ky - half);
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

// a point's square, in device pixels: smaller on a crowded map
function pointSide(s, n) { return Math.max(2, Math.round((n > 50000 ? 2 : 3.2) * s.dpr)); }

// A rerun after a click changes the rings and the spot, not the points: they are redrawn only for
// another model, map, zoom, size or layers (of the rerun whose model is in, s.loaded).
function drawPointsIfStale(s, el) {
  const d = s.loaded;
  const key = JSON.stringify([d.url, d.map, s.view.lo, s.view.hi, s.size, s.dpr, d.layers]);
  if (s.pointsDrawn !== key) {
    drawPoints(s, el);
    s.pointsDrawn = key;
  }
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
