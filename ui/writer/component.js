// A sequence autoencoder's decoder writing a digit one row at a time, animated in the browser:
// the code is decoded here (LatentDecoder, decoder.js, loaded before this file: the GRU's steps in
// JavaScript) and the rows are shown as far as the decoder has written them, the row being
// written marked. Play, pause and scrub; nothing goes to the server.
// Test hooks: the canvas carries data-writer="model" and data-rows-written="r" (rows shown, 0-28),
// data-error="why" if the model could not load; the play button data-play ("playing" or
// "paused"); the scrub control data-scrub-rows.

const loaded = new Map(); // model files URL -> Promise<LatentDecoder.Model>
const PLAY = "\u25B6 Play", PAUSE = "\u275A\u275A Pause", SECONDS = 4; // the whole digit in 4 s

export default function (component) {
  const { parentElement, data } = component;
  let ui = parentElement.__writer;
  if (!ui) {
    const root = document.createElement("div");
    root.className = "wr";
    parentElement.appendChild(root);
    ui = parentElement.__writer = { root, key: null, stop: () => {} };
  }
  ui.root.classList.toggle("wr-present", Boolean(data.present));
  const key = JSON.stringify([data.url, data.code]);
  if (ui.key === key) return undefined;
  ui.key = key;
  ui.stop();
  ui.root.innerHTML = `<figure><canvas width="336" height="336"></canvas>
      <figcaption class="wr-caption">Loading the model into the browser...</figcaption></figure>
    <div class="wr-controls"><button type="button" data-play="paused"></button>
      <input type="range" min="0" max="28" step="0.05" value="28" data-scrub-rows></div>`;
  const canvas = ui.root.querySelector("canvas"), ctx = canvas.getContext("2d");
  const caption = ui.root.querySelector(".wr-caption"), button = ui.root.querySelector("button");
  const scrub = ui.root.querySelector("input");
  canvas.dataset.writer = data.model;
  button.textContent = PLAY;
  const small = document.createElement("canvas");
  small.width = 28; small.height = 28;
  if (!loaded.has(data.url)) loaded.set(data.url, LatentDecoder.load(data.url));
  loaded.get(data.url).then((model) => {
    if (ui.key !== key) return;
    const pixels = model.decode(Float32Array.from(data.code));
    const rows = model.image[0], cols = model.image[1], side = canvas.width, cell = side / rows;
    let at = rows, playing = false, raf = 0, last = 0;
    const draw = () => {
      const shown = Math.floor(at + 1e-9), sctx = small.getContext("2d"), img = sctx.createImageData(cols, rows);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const i = r * cols + c, v = r < shown ? Math.round(pixels[i] * 255) : 0;
          img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
          if (r >= shown) { img.data[4 * i] = 28; img.data[4 * i + 1] = 30; img.data[4 * i + 2] = 40; } // not yet written
          img.data[4 * i + 3] = 255;
        }
      }
      sctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, side, side);
      if (shown < rows) { // the row being written
        ctx.strokeStyle = "#ffb000"; ctx.lineWidth = 3;
        ctx.strokeRect(1.5, shown * cell + 1.5, side - 3, cell - 3);
      }
      canvas.dataset.rowsWritten = String(shown);
      caption.textContent = shown >= rows ? `all ${rows} rows written` : `row ${shown + 1} of ${rows} being written`;
      scrub.value = String(at);
    };
    const frame = (now) => {
      if (!playing) return;
      at = Math.min(rows, at + ((now - last) / 1000) * (rows / SECONDS));
      last = now;
      draw();
      if (at >= rows) { setPlaying(false); return; }
      raf = requestAnimationFrame(frame);
    };
    const setPlaying = (on) => {
      playing = on;
      button.dataset.play = on ? "playing" : "paused";
      button.textContent = on ? PAUSE : PLAY;
      cancelAnimationFrame(raf);
      if (on) {
        if (at >= rows) at = 0;
        last = performance.now();
        raf = requestAnimationFrame(frame);
      }
    };
    ui.stop = () => setPlaying(false);
    button.onclick = () => setPlaying(!playing);
    scrub.oninput = () => { setPlaying(false); at = Number(scrub.value); draw(); };
    draw();
  }).catch((err) => {
    canvas.dataset.error = String(err);
    caption.textContent = "The model could not load in this browser: " + err;
  });
  return undefined;
}
