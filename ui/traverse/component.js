// One knob per latent dimension, decoded live in the browser: start from a code, move one
// number at a time (in spreads of that dimension over the test codes) and see the image change.
// Uses LatentDecoder (decoder.js, loaded before this file) on the model's browser files.
// Test hooks: the image carries data-traverse="v1,...,vk" (each knob's value, in spreads); each
// knob data-dim="d" (0-based).

const loaded = new Map(); // model files URL -> Promise<LatentDecoder.Model>

export default function (component) {
  const { parentElement, data } = component;
  let ui = parentElement.__traverse;
  if (!ui) {
    const root = document.createElement("div");
    root.className = "tv";
    parentElement.appendChild(root);
    ui = parentElement.__traverse = { root, key: null };
  }
  const key = JSON.stringify([data.url, data.code]);
  if (ui.key === key) return undefined;
  ui.key = key;
  const k = data.code.length;
  ui.root.innerHTML = `<figure><canvas width="28" height="28"></canvas><figcaption></figcaption></figure>
    <div class="tv-knobs">${Array.from({ length: k }, (_, d) =>
      `<label>z${d + 1}<input type="range" min="-3" max="3" step="0.1" value="0" data-dim="${d}"><span>0</span></label>`).join("")}
    <button type="button">Back to the start</button></div>`;
  const canvas = ui.root.querySelector("canvas"), caption = ui.root.querySelector("figcaption");
  const knobs = [...ui.root.querySelectorAll("input")];
  if (!loaded.has(data.url)) loaded.set(data.url, LatentDecoder.load(data.url));
  loaded.get(data.url).then((model) => {
    if (ui.key !== key) return;
    const draw = () => {
      const z = Float32Array.from(data.code), values = knobs.map((kn) => Number(kn.value));
      values.forEach((v, d) => { z[d] += v * data.spread[d]; });
      const pixels = model.decode(z, data.label ?? model.label), [h, w, c] = model.image;
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
      for (let i = 0; i < h * w; i++) { // grey, or colour as H x W x 3
        for (let j = 0; j < 3; j++) img.data[4 * i + j] = Math.round(Math.min(1, Math.max(0, pixels[c === 3 ? 3 * i + j : i])) * 255);
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      canvas.dataset.traverse = values.map(String).join(",");
      const moved = values.map((v, d) => (v ? `z${d + 1} ${v > 0 ? "+" : ""}${v.toFixed(1)}` : "")).filter(Boolean);
      caption.textContent = moved.length ? `the start, with ${moved.join(", ")} spreads` : "the start";
    };
    knobs.forEach((kn) => kn.addEventListener("input", () => {
      kn.nextElementSibling.textContent = Number(kn.value).toFixed(1);
      draw();
    }));
    ui.root.querySelector("button").addEventListener("click", () => {
      knobs.forEach((kn) => { kn.value = 0; kn.nextElementSibling.textContent = "0"; });
      draw();
    });
    draw();
  }).catch((err) => { caption.textContent = "The model could not load in this browser: " + err; });
  return undefined;
}
