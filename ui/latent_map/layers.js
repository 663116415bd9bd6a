// The decoded manifold: a 14 x 14 grid over the visible region, each cell the image decoded at
// its centre (on t-SNE maps, at the estimated code), grey ink on white so the dots stay visible;
// with the class regions layer, each cell tinted with the class the dataset's classifier reads
// in that image. Decoded in idle time, redrawn as it fills; worked out again after a zoom or a pan.
const GRID = 14;
function buildManifold(s, el) {
  const layers = s.data.layers || [];
  const key = JSON.stringify([s.data.url, s.data.map, s.data.label, s.view.lo, s.view.hi, s.size, s.dpr, layers]);
  if (s.manifold && s.manifold.key === key) return;
  const w = Math.round(s.size * s.dpr), canvas = document.createElement("canvas");
  canvas.width = canvas.height = w;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, w);
  const m = (s.manifold = { key, canvas, done: 0, images: layers.includes("manifold"),
    regions: layers.includes("regions") && !!s.model.manifest.classifier, classes: [] });
  const tile = document.createElement("canvas"), [ih, iw, ic] = s.model.image;
  tile.width = iw;
  tile.height = ih;
  const tctx = tile.getContext("2d"), pixels = tctx.createImageData(iw, ih);
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
      for (let i = 0; i < ih * iw; i++) {
        for (let j = 0; j < 3; j++) {
          if (ic === 3) { // colour: the image itself, faded towards white so the dots stay visible
            const v = m.images ? Math.min(1, Math.max(0, image[3 * i + j])) : 1;
            pixels.data[4 * i + j] = Math.round(255 - 0.6 * (255 - v * 255));
          } else {
            const ink = m.images ? Math.min(1, Math.max(0, image[i])) * 0.6 : 0; // grey ink over the tint
            pixels.data[4 * i + j] = Math.round(bg[j] * (1 - ink));
          }
        }
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
