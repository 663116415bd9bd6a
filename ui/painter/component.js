// The painter: a VQ-VAE's code as the grid of codebook entries it is, drawn over the image it
// decodes to. Pick an entry from the palette (each shown by what it draws where the test digits
// use it), paint cells, and the image is decoded again here at once (LatentDecoder, decoder.js,
// loaded before this file: the grid's entries looked up in the codebook, then the decoder's
// layers). The server hears the painted grid when a stroke ends (setStateValue "grid": one letter
// per cell, row by row, A-Z a-z 0-9 - _ for entries 0-63), so a link keeps it.
// Test hooks: the root carries data-painter="model"; the painted canvas data-paint-canvas, with
// data-painted="the grid's letters" once drawn, data-reads-as="class" (the dataset's classifier on
// the decoded image, where the files carry one) and data-error="why" if the model could not load;
// each palette entry data-entry="k" (aria-pressed on the chosen one); the reset button data-reset.
// The model's and the classes' names are text: every value goes in as an attribute or textContent.

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const loaded = new Map(); // model files URL -> Promise<LatentDecoder.Model>

function paint(canvas, pixels, side) { // [0, 1] values, side x side, into a canvas of that size
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  let ui = parentElement.__painter;
  if (!ui) {
    const root = document.createElement("div");
    root.className = "vp";
    parentElement.appendChild(root);
    ui = parentElement.__painter = { root, key: null, chosen: null, numbers: true };
  }
  ui.root.classList.toggle("vp-present", Boolean(data.present));
  const [h, w] = data.grid_shape, cells = h * w;
  const start = Uint16Array.from(data.start);
  const given = data.grid ? Uint16Array.from(data.grid) : start;
  const key = JSON.stringify([data.url, data.start]);
  if (ui.key === key && ui.grid && given.every((v, i) => v === ui.grid[i])) return undefined; // our own stroke, heard back
  const fresh = ui.key !== key;
  ui.key = key;
  ui.grid = Uint16Array.from(given);
  if (fresh || !ui.built) {
    ui.root.replaceChildren();
    ui.root.dataset.painter = data.model;
    ui.root.innerHTML = `
      <div class="vp-stage"><canvas class="vp-canvas" data-paint-canvas width="336" height="336"></canvas>
        <div class="vp-under"><span class="vp-reads"></span>
          <label><input type="checkbox" class="vp-numbers" checked> entry numbers on the cells</label>
          <button type="button" data-reset>Back to the digit's own grid</button></div></div>
      <div class="vp-side"><figure><canvas class="vp-original" width="28" height="28"></canvas>
        <figcaption>the test digit</figcaption></figure>
        <p class="vp-chosen"></p><div class="vp-palette" role="group" aria-label="codebook entries"></div>
        <p class="vp-hint">Click an entry, then click or drag over the cells. Alt-click a cell to take its entry.</p></div>`;
    ui.built = true;
  }
  const canvas = ui.root.querySelector(".vp-canvas"), ctx = canvas.getContext("2d");
  const small = document.createElement("canvas");
  small.width = 28; small.height = 28;
  const reads = ui.root.querySelector(".vp-reads"), chosen = ui.root.querySelector(".vp-chosen");
  const palette = ui.root.querySelector(".vp-palette"), numbers = ui.root.querySelector(".vp-numbers");
  paint(ui.root.querySelector(".vp-original"), Float32Array.from(data.original, (v) => v / 255), 28);
  if (!loaded.has(data.url)) loaded.set(data.url, LatentDecoder.load(data.url));
  loaded.get(data.url).then((model) => {
    if (ui.key !== key) return;
    const q = model.layers.find((l) => l.type === "quantise"), K = q.entries;
    ui.chosen ??= data.background;
    const side = canvas.width, cell = side / w;
    const draw = () => {
      const pixels = model.decode(model.codeOfIndices(ui.grid));
      paint(small, pixels, 28);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, side, side);
      ctx.strokeStyle = "rgba(120, 170, 255, 0.55)";
      ctx.lineWidth = 1;
      for (let i = 1; i < h; i++) { ctx.beginPath(); ctx.moveTo(0, i * cell + 0.5); ctx.lineTo(side, i * cell + 0.5); ctx.stroke(); }
      for (let j = 1; j < w; j++) { ctx.beginPath(); ctx.moveTo(j * cell + 0.5, 0); ctx.lineTo(j * cell + 0.5, side); ctx.stroke(); }
      let changed = 0;
      ctx.font = `${Math.round(cell / 3.6)}px sans-serif`;
      ctx.textBaseline = "top";
      for (let c = 0; c < cells; c++) {
        const painted = ui.grid[c] !== start[c];
        changed += painted;
        const x = (c % w) * cell, y = Math.floor(c / w) * cell;
        if (painted) {
          ctx.strokeStyle = "#ffb000"; ctx.lineWidth = 3;
          ctx.strokeRect(x + 1.5, y + 1.5, cell - 3, cell - 3);
        }
        if (numbers.checked) { // outlined, so a number stays legible over a white stroke
          ctx.lineWidth = 3; ctx.strokeStyle = "rgba(0, 0, 0, 0.85)";
          ctx.strokeText(String(ui.grid[c]), x + 3, y + 3);
          ctx.fillStyle = painted ? "#ffb000" : "#9cc4ff";
          ctx.fillText(String(ui.grid[c]), x + 3, y + 3);
        }
      }
      const text = Array.from(ui.grid, (v) => LETTERS[v] ?? "?").join("");
      canvas.dataset.painted = text;
      const cls = model.classify(pixels);
      if (cls !== null) canvas.dataset.readsAs = String(cls);
      reads.textContent = (changed ? `${changed} of ${cells} cells painted` : "the digit's own grid")
        + (cls !== null ? `; the classifier reads it as ${data.class_names[cls] ?? cls}` : "");
    };
    if (!palette.childElementCount) { // each entry by what it draws where the test images use it (the server's)
      const crop = Math.round(Math.sqrt(data.palette[0].length));
      for (let e = 0; e < K; e++) {
        const b = document.createElement("button");
        b.type = "button"; b.dataset.entry = String(e); b.title = `entry ${e}`;
        const c = document.createElement("canvas");
        c.width = crop; c.height = crop;
        paint(c, Float32Array.from(data.palette[e], (v) => v / 255), crop);
        const n = document.createElement("span");
        n.textContent = String(e);
        b.append(c, n);
        b.addEventListener("click", () => choose(e));
        palette.append(b);
      }
    }
    function choose(e) {
      ui.chosen = e;
      for (const b of palette.children) b.setAttribute("aria-pressed", String(Number(b.dataset.entry) === e));
      chosen.textContent = `Painting with entry ${e}` + (e === data.background ? " (the background)" : "");
    }
    choose(ui.chosen);
    const cellAt = (ev) => {
      const r = canvas.getBoundingClientRect();
      const col = Math.floor(((ev.clientX - r.left) / r.width) * w), row = Math.floor(((ev.clientY - r.top) / r.height) * h);
      return row >= 0 && row < h && col >= 0 && col < w ? row * w + col : -1;
    };
    let stroke = false;
    const send = () => setStateValue("grid", Array.from(ui.grid, (v) => LETTERS[v]).join(""));
    canvas.onpointerdown = (ev) => {
      const c = cellAt(ev);
      if (c < 0) return;
      if (ev.altKey) { choose(ui.grid[c]); return; }
      stroke = true;
      canvas.setPointerCapture?.(ev.pointerId);
      if (ui.grid[c] !== ui.chosen) { ui.grid[c] = ui.chosen; draw(); }
    };
    canvas.onpointermove = (ev) => {
      if (!stroke) return;
      const c = cellAt(ev);
      if (c >= 0 && ui.grid[c] !== ui.chosen) { ui.grid[c] = ui.chosen; draw(); }
    };
    canvas.onpointerup = canvas.onpointercancel = () => { if (stroke) { stroke = false; send(); } };
    numbers.onchange = draw;
    ui.root.querySelector("[data-reset]").onclick = () => { ui.grid = Uint16Array.from(start); draw(); send(); };
    draw();
  }).catch((err) => {
    canvas.dataset.error = String(err);
    reads.textContent = "The model could not load in this browser: " + err;
  });
  return undefined;
}
