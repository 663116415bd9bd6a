// The training replay: a 2-D model's codes of a fixed set of test images, epoch by epoch, as an
// animation in the browser (play, pause, scrub), beside the test loss with the current epoch
// marked. Between two epochs every point moves along a straight line, so scrubbing is smooth.
// The codes come once as a static file (ui/replay.py writes it): int16, each number scaled into
// its frame's box. The server hears only where the student paused (setStateValue "epoch").
// Test hooks: the map canvas carries data-replay="model" and data-epoch="e" (the epoch shown, to
// two decimals); the play button data-play ("playing" or "paused"); the scrub control data-scrub-epoch;
// the speed menu data-speed (1 plays the whole replay in data.seconds).
// The model's and the classes' names are text (a name is a folder's name and may hold anything):
// only the static frame below is HTML; every value goes in as an attribute or textContent.

const files = new Map(); // url -> Promise<Int16Array>

function fetchCodes(url) {
  if (!files.has(url)) {
    files.set(url, fetch(new URL(url, document.baseURI).href).then((r) => {
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
      return r.arrayBuffer();
    }).then((b) => new Int16Array(b)));
  }
  return files.get(url);
}

const W = 460, H = 460, PAD = 34;
const PLAY = "\u25B6 Play", PAUSE = "\u275A\u275A Pause";

function legend(el, data) {
  el.replaceChildren(...data.classes.map((c) => {
    const item = document.createElement("span"), swatch = document.createElement("i");
    swatch.style.background = data.colours[c];
    item.append(swatch, String(data.class_names[c]));
    return item;
  }));
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  let ui = parentElement.__replay;
  if (!ui) {
    const root = document.createElement("div");
    root.className = "rp";
    parentElement.appendChild(root);
    ui = parentElement.__replay = { root, key: null, stop: () => {} };
  }
  ui.root.classList.toggle("rp-present", Boolean(data.present));
  const key = JSON.stringify([data.url, data.model]);
  if (ui.key === key) return undefined;
  ui.key = key;
  ui.stop();
  const F = data.epochs.length, n = data.labels.length;
  ui.root.innerHTML = `
    <div class="rp-map"><canvas width="${W}" height="${H}" data-replay></canvas>
      <div class="rp-controls"><button type="button" data-play="paused"></button>
      <input type="range" min="0" step="0.01" data-scrub-epoch>
      <span class="rp-epoch"></span>
      <label class="rp-speed">speed <select data-speed>
        <option value="0.25">¼×</option><option value="0.5">½×</option>
        <option value="1" selected>1×</option><option value="2">2×</option><option value="4">4×</option>
      </select></label></div>
      <div class="rp-legend"></div></div>
    <div class="rp-side"><canvas class="rp-loss" width="360" height="230"></canvas><p class="rp-note"></p></div>`;
  const canvas = ui.root.querySelector("canvas[data-replay]"), ctx = canvas.getContext("2d");
  const lossCanvas = ui.root.querySelector(".rp-loss"), lctx = lossCanvas.getContext("2d");
  const button = ui.root.querySelector("button"), scrub = ui.root.querySelector("input");
  const speed = ui.root.querySelector("select[data-speed]");
  canvas.dataset.replay = data.model;
  button.textContent = PLAY;
  scrub.max = String(F - 1);
  scrub.value = String(data.start);
  legend(ui.root.querySelector(".rp-legend"), data);
  const label = ui.root.querySelector(".rp-epoch"), note = ui.root.querySelector(".rp-note");
  const [lo, hi] = data.box; // each frame's int16 scale: value = lo[f] + (q + 32768) / 65535 * (hi[f] - lo[f])
  let codes = null, at = Number(data.start), playing = false, raf = 0, last = 0;
  const rgb = data.colours.map((c) => [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)]);

  function frameBox(f) { // where frame f's codes lie: 1st to 99th percentile, with a margin
    const xs = [], ys = [];
    for (let i = 0; i < n; i += 4) { xs.push(value(f, i, 0)); ys.push(value(f, i, 1)); }
    xs.sort((a, b) => a - b); ys.sort((a, b) => a - b);
    const q = (a, p) => a[Math.min(a.length - 1, Math.max(0, Math.round(p * (a.length - 1))))];
    let [x0, x1, y0, y1] = [q(xs, 0.01), q(xs, 0.99), q(ys, 0.01), q(ys, 0.99)];
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, half = Math.max(x1 - x0, y1 - y0, 1e-3) * 0.6;
    return [cx - half, cx + half, cy - half, cy + half];
  }
  // a range's ends with enough decimals to tell them apart (epoch 0's codes span hundredths)
  function ends(a, b) {
    const digits = Math.min(6, Math.max(1, Math.ceil(-Math.log10(Math.max(Math.abs(b - a), 1e-9))) + 1));
    return `${a.toFixed(digits)} … ${b.toFixed(digits)}`;
  }
  function value(f, i, d) { return lo[f][d] + (codes[(f * n + i) * 2 + d] + 32768) / 65535 * (hi[f][d] - lo[f][d]); }
  let boxes = [];

  function draw() {
    const f0 = Math.floor(at), f1 = Math.min(F - 1, f0 + 1), w = at - f0;
    const b = boxes[f0].map((v, j) => v * (1 - w) + boxes[f1][j] * w);
    const sx = (W - 2 * PAD) / (b[1] - b[0]), sy = (H - 2 * PAD) / (b[3] - b[2]);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
    ctx.strokeStyle = "#ccc"; ctx.strokeRect(PAD, PAD, W - 2 * PAD, H - 2 * PAD);
    const img = ctx.getImageData(0, 0, W, H), px = img.data;
    for (let i = 0; i < n; i++) {
      const x = value(f0, i, 0) * (1 - w) + value(f1, i, 0) * w, y = value(f0, i, 1) * (1 - w) + value(f1, i, 1) * w;
      const cx = Math.round(PAD + (x - b[0]) * sx), cy = Math.round(H - PAD - (y - b[2]) * sy);
      const [r, g, bl] = rgb[data.labels[i]];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const xx = cx + dx, yy = cy + dy;
        if (xx < PAD || yy < PAD || xx >= W - PAD || yy >= H - PAD) continue;
        const o = (yy * W + xx) * 4;
        px[o] = r; px[o + 1] = g; px[o + 2] = bl; px[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    ctx.fillStyle = "#333"; ctx.font = "14px sans-serif";
    ctx.fillText(`z1 ${ends(b[0], b[1])}`, PAD, H - 10);
    ctx.save(); ctx.translate(20, H - PAD); ctx.rotate(-Math.PI / 2);
    ctx.fillText(`z2 ${ends(b[2], b[3])}`, 0, 0); ctx.restore();
    const epoch = data.epochs[0] + at * ((data.epochs[F - 1] - data.epochs[0]) / Math.max(1, F - 1));
    const shown = Math.round(epoch);
    canvas.dataset.epoch = epoch.toFixed(2);
    label.textContent = shown === 0 ? "epoch 0: before training" : `epoch ${shown} of ${data.epochs[F - 1]}`;
    scrub.value = String(at);
    drawLoss(at);
    const loss = data.losses[Math.round(at)];
    note.textContent = `Test loss at epoch ${data.epochs[Math.round(at)]}: ${loss.toFixed(data.precision)} ${data.unit}.`;
  }

  function drawLoss(pos) {
    const w = lossCanvas.width, h = lossCanvas.height, l = 48, r = 10, t = 26, btm = 30;
    const ys = data.losses.map(Math.log), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const X = (i) => l + (i / Math.max(1, F - 1)) * (w - l - r), Y = (v) => t + (1 - (Math.log(v) - y0) / Math.max(1e-9, y1 - y0)) * (h - t - btm);
    lctx.clearRect(0, 0, w, h);
    lctx.strokeStyle = "#bbb"; lctx.beginPath(); lctx.moveTo(l, t); lctx.lineTo(l, h - btm); lctx.lineTo(w - r, h - btm); lctx.stroke();
    lctx.strokeStyle = "#1f77b4"; lctx.lineWidth = 2; lctx.beginPath();
    data.losses.forEach((v, i) => (i ? lctx.lineTo(X(i), Y(v)) : lctx.moveTo(X(i), Y(v))));
    lctx.stroke(); lctx.lineWidth = 1;
    const i0 = Math.floor(pos), i1 = Math.min(F - 1, i0 + 1), fr = pos - i0;
    const v = Math.exp(Math.log(data.losses[i0]) * (1 - fr) + Math.log(data.losses[i1]) * fr);
    lctx.strokeStyle = "#d00"; lctx.beginPath(); lctx.moveTo(X(pos), t); lctx.lineTo(X(pos), h - btm); lctx.stroke();
    lctx.fillStyle = "#d00"; lctx.beginPath(); lctx.arc(X(pos), Y(v), 4, 0, 2 * Math.PI); lctx.fill();
    lctx.fillStyle = "#333"; lctx.font = "14px sans-serif";
    lctx.fillText(data.losses[0].toFixed(0), 4, Y(data.losses[0]) + 4);
    lctx.fillText(Math.min(...data.losses).toFixed(data.precision > 2 ? 3 : 0), 4, Y(Math.min(...data.losses)) + 4);
    lctx.fillText(`epoch 0`, l, h - 10); lctx.fillText(`${data.epochs[F - 1]}`, w - r - 24, h - 10);
    lctx.fillText(`test loss (${data.unit}, log scale)`, l, 16);
  }

  function setPlaying(on) {
    playing = on;
    button.dataset.play = on ? "playing" : "paused";
    button.textContent = on ? PAUSE : PLAY;
    if (on) {
      if (at >= F - 1) at = 0;
      last = performance.now();
      raf = requestAnimationFrame(tick);
    } else {
      cancelAnimationFrame(raf);
      setStateValue("epoch", Math.round(at * 100) / 100);
    }
  }
  function tick(now) {
    if (!playing) return;
    // a frame's timestamp can precede the click that started playing: never step backwards
    at = Math.min(F - 1, at + (Math.max(0, now - last) / 1000) * (F - 1) / data.seconds * Number(speed.value));
    last = now;
    draw();
    if (at >= F - 1) { setPlaying(false); return; }
    raf = requestAnimationFrame(tick);
  }
  ui.stop = () => { playing = false; cancelAnimationFrame(raf); };

  label.textContent = "loading the replay...";
  fetchCodes(data.url).then((q) => {
    if (ui.key !== key) return;
    if (q.length !== F * n * 2) throw new Error("the replay file does not match");
    codes = q;
    boxes = Array.from({ length: F }, (_, f) => frameBox(f));
    at = Math.min(F - 1, Math.max(0, Number(data.start)));
    button.addEventListener("click", () => setPlaying(!playing));
    scrub.addEventListener("input", () => { if (playing) { playing = false; cancelAnimationFrame(raf); button.dataset.play = "paused"; button.textContent = PLAY; } at = Number(scrub.value); draw(); });
    scrub.addEventListener("change", () => setStateValue("epoch", Math.round(at * 100) / 100));
    draw();
  }).catch((err) => { label.textContent = "The replay could not load in this browser: " + err; });
  return () => ui.stop();
}
