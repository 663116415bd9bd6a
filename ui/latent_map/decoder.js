// Latent Explorer in the browser: decode latent vectors and turn map points into latent vectors,
// exactly as the Python library does (explorer/bundles/webexport.py describes the files this reads).
// Plain JavaScript on Float32Arrays, no dependencies. Defines globalThis.LatentDecoder.
(function () {
  "use strict";

  const ACTIVATIONS = {
    relu: (x) => (x > 0 ? x : 0),
    tanh: Math.tanh,
    silu: (x) => x / (1 + Math.exp(-x)),
    elu: (x, a = 1) => (x > 0 ? x : a * Math.expm1(x)),
    leaky_relu: (x, a = 0.01) => (x > 0 ? x : a * x),
    sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    softplus: (x) => (x > 20 ? x : Math.log1p(Math.exp(x))),
  };

  const FORMAT_VERSION = 4; // explorer/bundles/webexport.py

  async function fetched(url) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(url.split("/").pop() + ": HTTP " + r.status);
    return r;
  }

  // manifest.json and the gzip-compressed arrays (explorer/bundles/webexport.py), fetched together
  async function load(baseUrl) {
    const [manifest, buffer] = await files(baseUrl);
    return new Model(manifest, buffer);
  }

  // a dataset's classifier alone (webexport.classifier_files), shared by the models of a static
  // site: what a model's classify() does, read from its own files
  async function loadClassifier(baseUrl) {
    const [manifest, buffer] = await files(baseUrl);
    const cache = {};
    const c = { manifest, array: (key) => (cache[key] ??= view(buffer, manifest.arrays[key])) };
    c.classify = (pixels) => Model.prototype.classify.call(c, pixels);
    return c;
  }

  async function files(baseUrl) {
    const [manifest, buffer] = await Promise.all([
      fetched(baseUrl + "manifest.json").then((r) => r.json()),
      fetched(baseUrl + "arrays.bin.gz").then((r) =>
        new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer()),
    ]);
    if (manifest.format_version !== FORMAT_VERSION) {
      throw new Error(`model files of format ${manifest.format_version}, this page reads ${FORMAT_VERSION}; reload the page`);
    }
    return [manifest, buffer];
  }

  // float16 -> float32, for browsers without Float16Array
  let halfTable = null;
  function widenHalf(bits) {
    if (!halfTable) {
      halfTable = new Float32Array(65536);
      for (let h = 0; h < 65536; h++) {
        const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
        halfTable[h] = e === 0 ? sign * f * 2 ** -24 : e === 31 ? (f ? NaN : sign * Infinity)
          : sign * (1 + f / 1024) * 2 ** (e - 15);
      }
    }
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = halfTable[bits[i]];
    return out;
  }

  const VIEWS = { u1: Uint8Array, u2: Uint16Array, i4: Int32Array, f4: Float32Array };

  // one array of the binary as a typed array; float16 ones widened to Float32Array
  function view(buffer, [offset, length, dtype]) {
    if (dtype === "f2") {
      return typeof Float16Array === "function" ? Float32Array.from(new Float16Array(buffer, offset, length))
        : widenHalf(new Uint16Array(buffer, offset, length));
    }
    if (!VIEWS[dtype]) throw new Error("unknown array type " + dtype);
    return new VIEWS[dtype](buffer, offset, length);
  }

  // A transposed convolution in gather form, worked out once per layer and input size: for each
  // output row (and column), the input rows (columns) that reach it with the kernel row (column)
  // that carries them, as flat [input, kernel, ...] pairs; and the weight reordered
  // [out][ky][kx][in] so each output pixel is a few dot products over contiguous channels.
  function convPlan(l, h, w) {
    const key = h + "x" + w;
    l.plans ??= {};
    if (l.plans[key]) return l.plans[key];
    const k = l.kernel, s = l.stride, p = l.padding, cin = l.in, cout = l.out, extra = l.output_padding || 0;
    const oh = (h - 1) * s - 2 * p + k + extra, ow = (w - 1) * s - 2 * p + k + extra;
    const taps = (n, size) => Array.from({ length: size }, (_, o) => {
      const t = [];
      for (let i = 0; i < n; i++) {
        const kk = o + p - i * s;
        if (kk >= 0 && kk < k) t.push(i, kk);
      }
      return t;
    });
    const W = new Float32Array(cout * k * k * cin);
    for (let ci = 0; ci < cin; ci++) {
      for (let co = 0; co < cout; co++) {
        for (let kk = 0; kk < k * k; kk++) W[(co * k * k + kk) * cin + ci] = l.W[(ci * cout + co) * k * k + kk];
      }
    }
    return (l.plans[key] = { oh, ow, rows: taps(h, oh), cols: taps(w, ow), W });
  }

  // A convolution in the same gather form: output row o reads input rows o * s - p + kk.
  function convForwardPlan(l, h, w) {
    const key = "f" + h + "x" + w;
    l.plans ??= {};
    if (l.plans[key]) return l.plans[key];
    const k = l.kernel, s = l.stride, p = l.padding, cin = l.in, cout = l.out;
    const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
    const taps = (n, size) => Array.from({ length: size }, (_, o) => {
      const t = [];
      for (let kk = 0; kk < k; kk++) {
        const i = o * s - p + kk;
        if (i >= 0 && i < n) t.push(i, kk);
      }
      return t;
    });
    const W = new Float32Array(cout * k * k * cin); // [out][ky][kx][in] from torch's [out][in][ky][kx]
    for (let co = 0; co < cout; co++) {
      for (let ci = 0; ci < cin; ci++) {
        for (let kk = 0; kk < k * k; kk++) W[(co * k * k + kk) * cin + ci] = l.W[(co * cin + ci) * k * k + kk];
      }
    }
    return (l.plans[key] = { oh, ow, rows: taps(h, oh), cols: taps(w, ow), W });
  }

  // both convolutions, channels last inside so the innermost loop runs over contiguous channels
  function convolve(l, g, x, [cin, h, w]) {
    const xh = new Float32Array(h * w * cin);
    for (let ci = 0; ci < cin; ci++) {
      for (let j = 0; j < h * w; j++) xh[j * cin + ci] = x[ci * h * w + j];
    }
    const out = new Float32Array(l.out * g.oh * g.ow);
    for (let co = 0; co < l.out; co++) {
      for (let oy = 0; oy < g.oh; oy++) {
        const rows = g.rows[oy];
        for (let ox = 0; ox < g.ow; ox++) {
          const cols = g.cols[ox];
          let acc = l.b[co];
          for (let r = 0; r < rows.length; r += 2) {
            for (let c = 0; c < cols.length; c += 2) {
              const xb = (rows[r] * w + cols[c]) * cin;
              const wb = ((co * l.kernel + rows[r + 1]) * l.kernel + cols[c + 1]) * cin;
              for (let ci = 0; ci < cin; ci++) acc += xh[xb + ci] * g.W[wb + ci];
            }
          }
          out[(co * g.oh + oy) * g.ow + ox] = acc;
        }
      }
    }
    return out;
  }

  // A GRU decoder that writes one row a step: h0 = tanh(S z + s); at each step the GRU (torch's
  // gates r, z, n) is given z again, and the row is R h + r. The input's part of the gates is the
  // same at every step, so it is worked out once. ``onRow(step, row)``, if given, hears each row.
  function gruRows(l, z, onRow) {
    const H = l.hidden, I = l.in, out = new Float32Array(l.steps * l.out);
    let h = new Float32Array(H);
    for (let j = 0; j < H; j++) {
      let s = l.start_bias[j];
      for (let i = 0; i < I; i++) s += l.start_weight[j * I + i] * z[i];
      h[j] = Math.tanh(s);
    }
    const gi = new Float32Array(3 * H);
    for (let j = 0; j < 3 * H; j++) {
      let s = l.bias_ih[j];
      for (let i = 0; i < I; i++) s += l.weight_ih[j * I + i] * z[i];
      gi[j] = s;
    }
    const gh = new Float32Array(3 * H), sig = (v) => 1 / (1 + Math.exp(-v));
    for (let t = 0; t < l.steps; t++) {
      for (let j = 0; j < 3 * H; j++) {
        let s = l.bias_hh[j];
        const row = j * H;
        for (let i = 0; i < H; i++) s += l.weight_hh[row + i] * h[i];
        gh[j] = s;
      }
      const next = new Float32Array(H);
      for (let j = 0; j < H; j++) {
        const r = sig(gi[j] + gh[j]), u = sig(gi[H + j] + gh[H + j]);
        const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
        next[j] = (1 - u) * n + u * h[j];
      }
      h = next;
      for (let o = 0; o < l.out; o++) {
        let s = l.row_bias[o];
        for (let i = 0; i < H; i++) s += l.row_weight[o * H + i] * h[i];
        out[t * l.out + o] = s;
      }
      if (onRow) onRow(t, out.subarray(t * l.out, (t + 1) * l.out));
    }
    return out;
  }

  // axes of a row-major tensor of ``shape`` reordered by ``perm`` (numpy's transpose)
  function transpose(x, shape, perm) {
    const n = shape.length, out = new Float32Array(x.length);
    const outShape = perm.map((p) => shape[p]);
    const strides = new Array(n);
    strides[n - 1] = 1;
    for (let i = n - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
    const idx = new Array(n).fill(0);
    for (let o = 0; o < x.length; o++) {
      let src = 0;
      for (let i = 0; i < n; i++) src += idx[i] * strides[perm[i]];
      out[o] = x[src];
      for (let i = n - 1; i >= 0; i--) {
        if (++idx[i] < outShape[i]) break;
        idx[i] = 0;
      }
    }
    return [out, outShape];
  }

  class Model {
    constructor(manifest, buffer) {
      this.manifest = manifest;
      this.latentDim = manifest.latent_dim;
      const cache = {};
      this.array = (key) => (cache[key] ??= view(buffer, manifest.arrays[key]));
      const ARRAYS = ["start_weight", "start_bias", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "row_weight", "row_bias"];
      this.layers = manifest.decoder.map((l) => ({
        ...l, ...Object.fromEntries(ARRAYS.filter((a) => l[a]).map((a) => [a, this.array(l[a])])),
        W: (l.weight || l.codebook) && this.array(l.weight || l.codebook), b: l.bias && this.array(l.bias),
        S: l.scale && this.array(l.scale), T: l.shift && this.array(l.shift),
      }));
      this.output = manifest.output || "logits"; // what the last layer's numbers are (webexport.py)
      this.image = manifest.image.length === 3 ? manifest.image : [...manifest.image, 1]; // [H, W, C]
      this.pixels = this.image[0] * this.image[1] * this.image[2]; // numbers per image, H x W x C in that order
      this.codes = manifest.codes ? this.array(manifest.codes) : null;
      // a conditional model: the label's column of the first layer, added to its bias (webexport.py)
      const c = manifest.condition;
      this.condition = c ? { classes: c.classes, B: this.array(c.bias) } : null;
      this.label = c ? c.label : null;
      this.maps = {};
      for (const [name, m] of Object.entries(manifest.maps)) {
        this.maps[name] = { ...m, xy: this.array(m.xy), mean: m.mean && this.array(m.mean), components: m.components && this.array(m.components) };
      }
    }

    // latent vector (Float32Array of latentDim) -> pixel intensities in [0, 1], H x W (x C) values;
    // a conditional model draws it as ``label`` (default: the one the page chose)
    decode(z, label = this.label) {
      let x = Float32Array.from(z);
      let shape = [x.length];
      let given = this.condition ? label * this.layers.find((l) => l.type === "linear").out : -1;
      for (const l of this.layers) {
        if (l.type === "linear") {
          const out = new Float32Array(l.out);
          for (let o = 0; o < l.out; o++) {
            let s = given >= 0 ? l.b[o] + this.condition.B[given + o] : l.b[o];
            const row = o * l.in;
            for (let i = 0; i < l.in; i++) s += l.W[row + i] * x[i];
            out[o] = s;
          }
          x = out;
          shape = [l.out];
          given = -1; // the label enters the first layer only
        } else if (l.type === "quantise") { // each cell's vector -> its nearest codebook entry (ties: the first)
          const D = l.dim, cells = x.length / D, E = l.W;
          for (let c = 0; c < cells; c++) {
            let best = 0, bestD = Infinity;
            for (let e = 0; e < l.entries; e++) {
              let d = 0;
              for (let j = 0; j < D; j++) { const t = x[j * cells + c] - E[e * D + j]; d += t * t; }
              if (d < bestD) { bestD = d; best = e; }
            }
            for (let j = 0; j < D; j++) x[j * cells + c] = E[best * D + j];
          }
        } else if (l.type === "gru_rows") { // rows written one step at a time (explorer/models/backbones.py)
          x = gruRows(l, x);
          shape = [l.steps, l.out];
        } else if (l.type === "activation") {
          const f = ACTIVATIONS[l.fn], a = l.alpha;
          for (let i = 0; i < x.length; i++) x[i] = f(x[i], a);
        } else if (l.type === "affine") {
          for (let i = 0; i < x.length; i++) x[i] = x[i] * l.S[i] + l.T[i];
        } else if (l.type === "reshape") {
          shape = l.shape;
        } else if (l.type === "transpose") {
          [x, shape] = transpose(x, l.shape, l.perm);
        } else if (l.type === "conv_transpose" || l.type === "conv") {
          const g = l.type === "conv" ? convForwardPlan(l, shape[1], shape[2]) : convPlan(l, shape[1], shape[2]);
          x = convolve(l, g, x, shape);
          shape = [l.out, g.oh, g.ow];
        } else if (l.type === "upsample") { // nearest: output row oy and column ox read the input's rows[oy], cols[ox]
          const [c, h, w] = shape, oh = l.rows.length, ow = l.cols.length, out = new Float32Array(c * oh * ow);
          for (let ci = 0; ci < c; ci++) {
            for (let oy = 0; oy < oh; oy++) {
              const src = (ci * h + l.rows[oy]) * w, dst = (ci * oh + oy) * ow;
              for (let ox = 0; ox < ow; ox++) out[dst + ox] = x[src + l.cols[ox]];
            }
          }
          x = out;
          shape = [c, oh, ow];
        } else {
          throw new Error("unknown decoder layer " + l.type);
        }
      }
      if (this.output === "logits") {
        for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
      } else { // probabilities or plain intensities: shown within [0, 1]
        for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, x[i]));
      }
      return x;
    }

    // a model with a codebook: a grid of entry indices (h x w, row by row) -> its code, each cell the
    // entry's vector, channel by channel as decode() reads it
    codeOfIndices(indices) {
      const q = this.layers.find((l) => l.type === "quantise");
      const D = q.dim, cells = indices.length, z = new Float32Array(D * cells);
      for (let c = 0; c < cells; c++) {
        for (let j = 0; j < D; j++) z[j * cells + c] = q.W[indices[c] * D + j];
      }
      return z;
    }

    // the dataset's classifier (if the files carry one): pixels in [0, 1] -> class
    classify(pixels) {
      const c = this.manifest.classifier;
      if (!c) return null;
      let x = Float32Array.from(pixels);
      c.layers.forEach((l, n) => {
        const W = this.array(l.weight), b = this.array(l.bias), out = new Float32Array(l.out);
        for (let o = 0; o < l.out; o++) {
          let s = b[o];
          for (let i = 0, r = o * l.in; i < l.in; i++) s += W[r + i] * x[i];
          out[o] = n < c.layers.length - 1 && s < 0 ? 0 : s; // ReLU between layers
        }
        x = out;
      });
      let best = 0;
      for (let k = 1; k < x.length; k++) if (x[k] > x[best]) best = k;
      return best;
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

    // a latent vector -> where it lies on the named map, as the library's to_map: itself on the plane,
    // its PCA projection, or on an estimated map the inverse-distance-weighted mean place of the K
    // test codes nearest it (ties: the lower row); held to the library by tests/test_webexport.py
    toMap(mapName, z) {
      const m = this.maps[mapName], k = this.latentDim;
      if (m.kind === "identity") return [z[0], z[1]];
      if (m.kind === "affine") {
        let x = 0, y = 0;
        for (let j = 0; j < k; j++) {
          x += (z[j] - m.mean[j]) * m.components[j];
          y += (z[j] - m.mean[j]) * m.components[k + j];
        }
        return [x, y];
      }
      if (m.kind === "neighbours") {
        const codes = this.codes, n = codes.length / k, K = Math.min(m.k, n);
        const best = new Float64Array(K).fill(Infinity), rows = new Int32Array(K).fill(-1);
        for (let i = 0; i < n; i++) {
          let d = 0;
          for (let j = 0; j < k; j++) d += (codes[i * k + j] - z[j]) ** 2;
          keepNearest(best, rows, d, i);
        }
        const dist = Array.from(best, Math.sqrt), hit = dist.some((d) => d <= 1e-12);
        let x = 0, y = 0, total = 0;
        for (let j = 0; j < K; j++) {
          const w = hit ? (dist[j] <= 1e-12 ? 1 : 0) : 1 / Math.max(dist[j], 1e-12);
          x += w * m.xy[2 * rows[j]];
          y += w * m.xy[2 * rows[j] + 1];
          total += w;
        }
        return [x / total, y / total];
      }
      throw new Error("unknown map kind " + m.kind);
    }

    // the map's points in a grid (PointGrid), made at the first question that needs it; null for a
    // map of few points, where one pass over them all is as quick
    grid(mapName) {
      const m = this.maps[mapName];
      if (m.grid === undefined) m.grid = m.xy.length / 2 > GRID_FROM ? new PointGrid(m.xy) : null;
      return m.grid;
    }

    // the K test points nearest (px, py) on the map, nearest first (ties: the lower row, as one pass
    // in row order finds them), with inverse-distance weights
    neighbours(mapName, px, py) {
      const m = this.maps[mapName], xy = m.xy, n = xy.length / 2, K = Math.min(m.k, n);
      const best = new Float64Array(K).fill(Infinity), rows = new Int32Array(K).fill(-1);
      const grid = this.grid(mapName);
      if (grid) grid.nearest(px, py, best, rows);
      else for (let i = 0; i < n; i++) keepNearest(best, rows, (xy[2 * i] - px) ** 2 + (xy[2 * i + 1] - py) ** 2, i);
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

  // (d, row) into the K nearest so far, ``best`` (squared distances, ascending) and ``rows``: kept
  // if it comes before the last by distance, then by row
  function keepNearest(best, rows, d, i) {
    const K = best.length;
    if (d > best[K - 1] || (d === best[K - 1] && i > rows[K - 1])) return;
    let j = K - 1;
    while (j > 0 && (best[j - 1] > d || (best[j - 1] === d && rows[j - 1] > i))) { best[j] = best[j - 1]; rows[j] = rows[j - 1]; j--; }
    best[j] = d; rows[j] = i;
  }

  const GRID_FROM = 20000; // points on a map from which questions about a spot go through a PointGrid

  // A map's points bucketed in a square grid of cells (about four points to a cell), so that the
  // points near a spot are found by looking in the cells around it, not at every point: hovering a
  // map of a million points stays within a frame. Answers are those of a pass over every point.
  class PointGrid {
    constructor(xy) {
      const n = xy.length / 2;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < n; i++) {
        const x = xy[2 * i], y = xy[2 * i + 1];
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      const side = Math.max(1, Math.ceil(Math.sqrt(n / 4)));
      Object.assign(this, { xy, side, x0, y0, cw: (x1 - x0) / side || 1, ch: (y1 - y0) / side || 1 });
      const cellOf = new Int32Array(n), start = new Int32Array(side * side + 1);
      for (let i = 0; i < n; i++) start[(cellOf[i] = this.cell(xy[2 * i], xy[2 * i + 1])) + 1]++;
      for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
      const rows = new Int32Array(n), next = start.slice(0, side * side);
      for (let i = 0; i < n; i++) rows[next[cellOf[i]]++] = i; // each cell's rows in ascending order
      this.start = start;
      this.rows = rows;
    }
    col(x) { return Math.min(this.side - 1, Math.max(0, Math.floor((x - this.x0) / this.cw))) | 0; }
    line(y) { return Math.min(this.side - 1, Math.max(0, Math.floor((y - this.y0) / this.ch))) | 0; }
    cell(x, y) { return this.line(y) * this.side + this.col(x); }
    // fn(row) for every point in the cells that the box [x0, x1] x [y0, y1] touches
    inBox(x0, y0, x1, y1, fn) {
      const c0 = this.col(x0), c1 = this.col(x1);
      for (let r = this.line(y0), r1 = this.line(y1); r <= r1; r++) {
        for (let k = r * this.side + c0, end = r * this.side + c1; k <= end; k++) {
          for (let j = this.start[k]; j < this.start[k + 1]; j++) fn(this.rows[j]);
        }
      }
    }
    // the best.length points nearest (px, py), into best and rows (keepNearest's order): the cells
    // in rings around the spot's cell, until a ring can hold nothing nearer than the last kept
    nearest(px, py, best, rows) {
      const { xy, side } = this, c = this.col(px), r = this.line(py), step = Math.min(this.cw, this.ch);
      const look = (k) => {
        for (let j = this.start[k]; j < this.start[k + 1]; j++) {
          const i = this.rows[j];
          keepNearest(best, rows, (xy[2 * i] - px) ** 2 + (xy[2 * i + 1] - py) ** 2, i);
        }
      };
      for (let ring = 0; ring <= side; ring++) {
        const gap = Math.max(0, ring - 1) * step; // no point of this ring is nearer than this
        if (gap * gap > best[best.length - 1]) break;
        for (let y = r - ring; y <= r + ring; y++) {
          if (y < 0 || y >= side) continue;
          const edge = y === r - ring || y === r + ring;
          for (let x = c - ring; x <= c + ring; x += edge ? 1 : 2 * ring || 1) {
            if (x >= 0 && x < side) look(y * side + x);
          }
        }
      }
    }
  }

  // The code at t on the walk from a to b, as explorer/teaching/generate.py walks: lerp, or slerp (Shoemake
  // 1985) with the length mixed linearly. The parity test holds it to the library's (test_webexport.py).
  function walk(a, b, method, t) {
    const k = a.length, z = new Float32Array(k);
    const lerp = () => { for (let j = 0; j < k; j++) z[j] = (1 - t) * a[j] + t * b[j]; return z; };
    if (t === 0) return Float32Array.from(a);
    if (t === 1) return Float32Array.from(b);
    if (method !== "slerp") return lerp();
    const na = Math.hypot(...a), nb = Math.hypot(...b);
    if (na === 0 || nb === 0) return lerp();
    let dot = 0;
    for (let j = 0; j < k; j++) dot += (a[j] / na) * (b[j] / nb);
    const omega = Math.acos(Math.min(1, Math.max(-1, dot)));
    if (omega < 1e-6 || Math.PI - omega < 1e-6) return lerp();
    const sa = Math.sin((1 - t) * omega) / Math.sin(omega), sb = Math.sin(t * omega) / Math.sin(omega);
    const length = (1 - t) * na + t * nb;
    for (let j = 0; j < k; j++) z[j] = (sa * a[j] / na + sb * b[j] / nb) * length;
    return z;
  }

  globalThis.LatentDecoder = { load, loadClassifier, Model, walk, PointGrid };
})();
