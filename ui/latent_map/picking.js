// Picking: what is under the pointer (a test point within PICK_PX, or the decoded spot), how it is
// described, and the committed spot shown at once.

// the test point within PICK_PX of the pointer, nearest first; null if none
function pickRow(s, px, py) {
  const n = s.xy.length / 2;
  const [x0, y0] = s.toData(px - PICK_PX, py + PICK_PX), [x1, y1] = s.toData(px + PICK_PX, py - PICK_PX);
  let best = null, bestD = Infinity;
  const look = (i) => {
    const x = s.xy[2 * i], y = s.xy[2 * i + 1];
    if (x < x0 || x > x1 || y < y0 || y > y1) return;
    const [qx, qy] = s.toPx(x, y);
    const dd = (qx - px) ** 2 + (qy - py) ** 2;
    if (dd <= PICK_PX * PICK_PX && (dd < bestD || (dd === bestD && i < best))) { bestD = dd; best = i; }
  };
  const grid = s.model.grid(s.loaded.map);
  if (grid) grid.inBox(x0, Math.min(y0, y1), x1, Math.max(y0, y1), look);
  else for (let i = 0; i < n; i++) look(i);
  return best;
}

// what the pointer at (px, py) shows: always the decoder's image there (over a test point, its
// reconstruction: what the model makes of that image's code), and over a test point the
// dataset's own image as well (``original``, null before or without the images)
function under(s, px, py) {
  const row = pickRow(s, px, py);
  if (row !== null) {
    const x = s.xy[2 * row], y = s.xy[2 * row + 1];
    const code = s.model.codes.subarray(row * s.model.latentDim, (row + 1) * s.model.latentDim);
    return { row, x, y, code, image: s.model.decode(code), original: testImage(s, row) };
  }
  const [x, y] = s.toData(px, py);
  const code = s.model.toLatent(s.data.map, x, y);
  return { row: null, x, y, code, image: s.model.decode(code), original: null };
}

// a conditional model's map asked for it (data.every_label): the code of ``h`` written as every
// class, one picture each, in the strip under the map
function showEveryLabel(s, el, h) {
  const classes = s.model && s.model.condition && s.data.every_label ? s.data.classes : null;
  el.labels.hidden = !classes;
  if (!classes || !h) return;
  if (el.labels.children.length !== classes.length) {
    el.labels.replaceChildren(...classes.map((c) => {
      const fig = document.createElement("figure"), canvas = document.createElement("canvas"), cap = document.createElement("figcaption");
      canvas.dataset.label = String(c);
      cap.textContent = String(s.data.class_names[c]); // a name from a file: text, never HTML
      fig.append(canvas, cap);
      return fig;
    }));
  }
  classes.forEach((c, i) => drawDigit(el.labels.children[i].firstChild, s.model.decode(h.code, c), s.model.image));
  el.labels.dataset.everyLabel = `${fmt(h.x)},${fmt(h.y)}`;
}

// the dataset's own image for a test point (pixels in [0, 1]), or null before (or without) them
function testImage(s, row) {
  const index = s.model.array(s.model.manifest.test_index)[row];
  const n = s.model.pixels;
  if (!s.images || (index + 1) * n > s.images.length) return null;
  const out = new Float32Array(n);
  for (let i = 0, j = index * n; i < n; i++, j++) out[i] = s.images[j] / 255;
  return out;
}

function describe(s, h) {
  const index = h.row === null ? null : s.model.array(s.model.manifest.test_index)[h.row];
  if (s.data.fill) { // presenting: short enough for two lines at 20 px beside the map
    return h.row === null ? `(${h.x.toPrecision(3)}, ${h.y.toPrecision(3)})` : `#${index}, a ${s.data.class_names[s.labels[h.row]]}`;
  }
  if (h.row === null) return `the spot (${h.x.toFixed(2)}, ${h.y.toFixed(2)})`;
  return `test image #${index} (a ${s.data.class_names[s.labels[h.row]]})`;
}

// the test point at (x, y), to the 7 digits a URL keeps (explorer/teaching/view.py: SAME_POINT), or null
function exactRow(s, x, y) {
  const tol = 2e-6 * Math.max(Math.abs(x), Math.abs(y)) + 1e-12, n = s.xy.length / 2;
  const at = (i) => Math.abs(s.xy[2 * i] - x) <= tol && Math.abs(s.xy[2 * i + 1] - y) <= tol;
  const grid = s.model.grid(s.loaded.map);
  if (!grid) {
    for (let i = 0; i < n; i++) if (at(i)) return i;
    return null;
  }
  let first = null; // the lowest such row, as the pass over every point finds it
  grid.inBox(x - tol, y - tol, x + tol, y + tol, (i) => { if (at(i) && (first === null || i < first)) first = i; });
  return first;
}

// the committed spot: what the decoder makes of it, as under the pointer (the server's panel puts
// a test image's original beside it)
function showSpot(s, el, x, y, h) {
  if (!s.model) return;
  if (!h) {
    const row = exactRow(s, x, y), k = s.model.latentDim;
    const code = row === null ? s.model.toLatent(s.data.map, x, y) : s.model.codes.subarray(row * k, (row + 1) * k);
    h = { row, x, y, code, image: s.model.decode(code), original: null };
  }
  s.spotShown = h;
  showEveryLabel(s, el, h);
  drawDigit(el.spot, h.image, s.model.image);
  el.spot.dataset.spot = `${fmt(x)},${fmt(y)}`;
  el.spot.dataset.label = String(s.data.label ?? ""); // a conditional model: the class it was drawn as
  el.spotCaption.textContent = (s.data.fill ? "click, decoded: " : "decoded at your click: ") + describe(s, h);
}
