// The map's shared pieces: what every map instance of the page keeps (models, zoom, test images,
// groups of maps that scrub together) and the small drawing helpers the other files use.

const models = new Map(); // model files URL -> Promise<LatentDecoder.Model>, kept across reruns
const views = new Map(); // component key -> {model, map, lo, hi}: zoom and pan survive reruns
const imageSets = new Map(); // test images URL -> Promise<Uint8Array> (N x H x W x C), kept across reruns
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

// a dataset's test images (explorer/bundles/webexport.py: write_images), fetched once; null if they fail
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

// an image (values in [0, 1], H x W, or H x W x 3 for colour, row-major) on its canvas, one
// canvas pixel per image pixel (CSS enlarges it, pixelated); image = [H, W, C] of the model
function drawDigit(canvas, pixels, image = [28, 28, 1]) {
  const [h, w, c] = image;
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    for (let j = 0; j < 3; j++) {
      img.data[4 * i + j] = Math.round(Math.min(1, Math.max(0, pixels[c === 3 ? 3 * i + j : i])) * 255);
    }
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

