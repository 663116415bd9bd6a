// Latent Explorer in the browser: decode latent vectors and turn map points into latent vectors,
// exactly as the Python library does (explorer/webexport.py describes the files this reads).
// Plain JavaScript on Float32Arrays, no dependencies. Defines globalThis.LatentDecoder.
(function () {
  "use strict";

  const ACTIVATIONS = {
    relu: (x) => (x > 0 ? x : 0),
    tanh: Math.tanh,
    silu: (x) => x / (1 + Math.exp(-x)),
    elu: (x) => (x > 0 ? x : Math.expm1(x)),
  };

  async function load(baseUrl) {
    const [manifest, buffer] = await Promise.all([
      fetch(baseUrl + "manifest.json").then((r) => r.json()),
      fetch(baseUrl + "arrays.bin").then((r) => r.arrayBuffer()),
    ]);
    return new Model(manifest, buffer);
  }

  class Model {
    constructor(manifest, buffer) {
      this.manifest = manifest;
      this.latentDim = manifest.latent_dim;
      const all = new Float32Array(buffer);
      this.array = (key) => {
        const [offset, length] = manifest.arrays[key];
        return all.subarray(offset, offset + length);
      };
      this.layers = manifest.decoder.map((l) => ({ ...l, W: l.weight && this.array(l.weight), b: l.bias && this.array(l.bias) }));
      this.codes = manifest.codes ? this.array(manifest.codes) : null;
      this.maps = {};
      for (const [name, m] of Object.entries(manifest.maps)) {
        this.maps[name] = { ...m, xy: this.array(m.xy), mean: m.mean && this.array(m.mean), components: m.components && this.array(m.components) };
      }
    }

    // latent vector (Float32Array of latentDim) -> pixel intensities in [0, 1], 784 values
    decode(z) {
      let x = Float32Array.from(z);
      let shape = [x.length];
      for (const l of this.layers) {
        if (l.type === "linear") {
          const out = new Float32Array(l.out);
          for (let o = 0; o < l.out; o++) {
            let s = l.b[o];
            const row = o * l.in;
            for (let i = 0; i < l.in; i++) s += l.W[row + i] * x[i];
            out[o] = s;
          }
          x = out;
          shape = [l.out];
        } else if (l.type === "activation") {
          const f = ACTIVATIONS[l.fn];
          for (let i = 0; i < x.length; i++) x[i] = f(x[i]);
        } else if (l.type === "reshape") {
          shape = l.shape;
        } else if (l.type === "conv_transpose") {
          const [cin, h, w] = shape;
          const k = l.kernel, s = l.stride, p = l.padding, cout = l.out;
          const oh = (h - 1) * s - 2 * p + k, ow = (w - 1) * s - 2 * p + k;
          const out = new Float32Array(cout * oh * ow);
          for (let co = 0; co < cout; co++) out.fill(l.b[co], co * oh * ow, (co + 1) * oh * ow);
          // scatter form: every input pixel adds its kernel-weighted value to a k x k patch
          for (let ci = 0; ci < cin; ci++) {
            for (let iy = 0; iy < h; iy++) {
              for (let ix = 0; ix < w; ix++) {
                const v = x[(ci * h + iy) * w + ix];
                if (v === 0) continue;
                for (let co = 0; co < cout; co++) {
                  const wBase = ((ci * cout + co) * k) * k, oBase = co * oh * ow;
                  for (let ky = 0; ky < k; ky++) {
                    const oy = iy * s - p + ky;
                    if (oy < 0 || oy >= oh) continue;
                    for (let kx = 0; kx < k; kx++) {
                      const ox = ix * s - p + kx;
                      if (ox < 0 || ox >= ow) continue;
                      out[oBase + oy * ow + ox] += v * l.W[wBase + ky * k + kx];
                    }
                  }
                }
              }
            }
          }
          x = out;
          shape = [cout, oh, ow];
        } else {
          throw new Error("unknown decoder layer " + l.type);
        }
      }
      for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
      return x;
    }

    // a point (x, y) of the named map -> its latent vector
    toLatent(mapName, px, py) {
      const m = this.maps[mapName];
      const k = this.latentDim;
      if (m.kind === "identity") return Float32Array.of(px, py);
      if (m.kind === "affine") {
        const z = new Float32Array(k);
        for (let j = 0; j < k; j++) z[j] = m.mean[j] + px * m.components[j] + py * m.components[k + j];
        return z;
      }
      if (m.kind === "neighbours") {
        const { rows, weights } = this.neighbours(mapName, px, py);
        const z = new Float32Array(k);
        for (let n = 0; n < rows.length; n++) {
          const base = rows[n] * k;
          for (let j = 0; j < k; j++) z[j] += weights[n] * this.codes[base + j];
        }
        return z;
      }
      throw new Error("unknown map kind " + m.kind);
    }

    // the K test points nearest (px, py) on the map, nearest first, with inverse-distance weights
    neighbours(mapName, px, py) {
      const m = this.maps[mapName], xy = m.xy, n = xy.length / 2, K = Math.min(m.k, n);
      const best = new Float64Array(K).fill(Infinity), rows = new Int32Array(K).fill(-1);
      for (let i = 0; i < n; i++) {
        const dx = xy[2 * i] - px, dy = xy[2 * i + 1] - py, d = dx * dx + dy * dy;
        if (d >= best[K - 1]) continue;
        let j = K - 1;
        while (j > 0 && best[j - 1] > d) { best[j] = best[j - 1]; rows[j] = rows[j - 1]; j--; }
        best[j] = d; rows[j] = i;
      }
      const dist = Array.from(best, Math.sqrt), weights = new Float64Array(K);
      const hit = dist.some((d) => d <= 1e-12);
      let total = 0;
      for (let j = 0; j < K; j++) {
        weights[j] = hit ? (dist[j] <= 1e-12 ? 1 : 0) : 1 / Math.max(dist[j], 1e-12);
        total += weights[j];
      }
      for (let j = 0; j < K; j++) weights[j] /= total;
      return { rows: Array.from(rows), weights };
    }
  }

  globalThis.LatentDecoder = { load, Model };
})();
