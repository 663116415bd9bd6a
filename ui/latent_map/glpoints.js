// Maps of more than GL_POINTS points are drawn by WebGL2 on a graphics card: every point's place
// and colour sit in buffers on the card, sent once per model, map and colouring, so a zoom or a
// pan sends four numbers and the card draws the million squares. Where the browser renders WebGL
// in software (SwiftShader, llvmpipe: headless Chromium, a machine without a GPU driver), the
// canvas's own pass over the points is the faster (a million points redrawn: 78 ms against 437 ms,
// bench/scale.py --draw webgl2), and it draws; it draws too where WebGL2 is missing or its context is lost.
// Smaller maps keep the canvas (a few ms at 10,000 points), and so keep the page's WebGL contexts,
// of which a browser holds about 16, for the maps that need one. The squares are the canvas's:
// the same size and pixel rounding, 75% opaque in their class's colour, in the test set's order.
// Scripts may choose: globalThis.latentMapPoints = "webgl2" or "canvas" before the map mounts.
const GL_POINTS = 20000;

const GL_VERTEX = `#version 300 es
in vec2 xy;
in vec4 colour;
uniform vec2 origin; // the view's left and top edges, in map units
uniform vec2 scale; // device pixels per map unit
uniform vec2 size; // the canvas, in device pixels
uniform float side;
out vec4 c;
void main() {
  // the canvas's placement: the square's corner rounded to a pixel, its centre half a side on
  vec2 corner = floor(vec2((xy.x - origin.x) * scale.x, (origin.y - xy.y) * scale.y) - side * 0.5 + 0.5);
  vec2 px = corner + side * 0.5;
  gl_Position = vec4(px.x / size.x * 2.0 - 1.0, 1.0 - px.y / size.y * 2.0, 0.0, 1.0);
  gl_PointSize = side;
  c = colour;
}`;

const GL_FRAGMENT = `#version 300 es
precision mediump float;
in vec4 c;
out vec4 fragment;
void main() { fragment = vec4(c.rgb * 0.75, 0.75); } // premultiplied: 75% of the colour over what lies under
`;

// Whether this browser draws WebGL on a graphics card (asked once, of a context thrown away).
let glHardware = null;
function glOnCard() {
  if (glHardware === null) {
    const gl = document.createElement("canvas").getContext("webgl2");
    if (!gl) glHardware = false;
    else {
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      glHardware = !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
      gl.getExtension("WEBGL_lose_context")?.loseContext();
    }
  }
  return glHardware;
}

// The WebGL2 canvas over el.points (which then holds only what lies under the dots), created on
// the first large map; null where WebGL2 cannot be had.
function glLayer(s, el) {
  const choice = globalThis.latentMapPoints;
  if (choice === "canvas" || (choice !== "webgl2" && !glOnCard())) return null;
  if (el.gl === undefined) {
    const canvas = document.createElement("canvas");
    canvas.className = "lm-gl";
    el.points.after(canvas);
    const gl = canvas.getContext("webgl2", { antialias: false, premultipliedAlpha: true, alpha: true });
    try {
      el.gl = gl ? glSetup(gl, canvas) : null;
    } catch (err) { // a driver that cannot build the shaders: the canvas draws
      console.warn("latent map: WebGL2 points off:", err);
      el.gl = null;
    }
    if (!el.gl) canvas.remove();
    else canvas.addEventListener("webglcontextlost", (e) => { // the canvas draws from now on
      e.preventDefault();
      el.gl.lost = true;
      canvas.hidden = true;
      s.pointsDrawn = null;
      drawPoints(s, el);
    });
  }
  return el.gl && !el.gl.lost ? el.gl : null;
}

function glSetup(gl, canvas) {
  const shader = (type, source) => {
    const sh = gl.createShader(type);
    gl.shaderSource(sh, source);
    gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(sh));
    return sh;
  };
  const program = gl.createProgram();
  gl.attachShader(program, shader(gl.VERTEX_SHADER, GL_VERTEX));
  gl.attachShader(program, shader(gl.FRAGMENT_SHADER, GL_FRAGMENT));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
  const where = (name) => gl.getUniformLocation(program, name);
  const r = { gl, canvas, program, xyBuffer: gl.createBuffer(), colourBuffer: gl.createBuffer(), vao: gl.createVertexArray(),
    origin: where("origin"), scale: where("scale"), size: where("size"), side: where("side"), xy: null, colours: null, n: 0, lost: false };
  gl.bindVertexArray(r.vao);
  const xyAt = gl.getAttribLocation(program, "xy"), colourAt = gl.getAttribLocation(program, "colour");
  gl.bindBuffer(gl.ARRAY_BUFFER, r.xyBuffer);
  gl.enableVertexAttribArray(xyAt);
  gl.vertexAttribPointer(xyAt, 2, gl.FLOAT, false, 0, 0);
  gl.bindBuffer(gl.ARRAY_BUFFER, r.colourBuffer);
  gl.enableVertexAttribArray(colourAt);
  gl.vertexAttribPointer(colourAt, 4, gl.UNSIGNED_BYTE, true, 0, 0);
  gl.bindVertexArray(null);
  return r;
}

// Every point drawn by WebGL2 over what el.points holds; false where WebGL2 is not to be had (the
// caller draws on the canvas).
function drawPointsGL(s, el, byError) {
  const r = glLayer(s, el);
  if (!r) return false;
  const gl = r.gl, n = s.xy.length / 2;
  if (r.canvas.width !== el.points.width || r.canvas.height !== el.points.height) {
    r.canvas.width = el.points.width;
    r.canvas.height = el.points.height;
  }
  r.canvas.style.width = el.points.style.width;
  r.canvas.style.height = el.points.style.height;
  r.canvas.hidden = false;
  if (r.xy !== s.xy) { // another model or map: its places, once
    gl.bindBuffer(gl.ARRAY_BUFFER, r.xyBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, s.xy, gl.STATIC_DRAW);
    r.xy = s.xy;
    r.n = n;
    r.colours = null;
  }
  const colours = [s.labels, byError || JSON.stringify(s.data.colours)];
  if (!r.colours || r.colours[0] !== colours[0] || r.colours[1] !== colours[1]) { // another colouring: each point's colour, once
    const rgba = new Uint8Array(4 * n), grey = [136, 136, 136];
    for (let i = 0; i < n; i++) {
      const c = byError ? byError[i] : s.rgb[s.labels[i]] || grey;
      rgba[4 * i] = c[0];
      rgba[4 * i + 1] = c[1];
      rgba[4 * i + 2] = c[2];
      rgba[4 * i + 3] = 255;
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, r.colourBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, rgba, gl.STATIC_DRAW);
    r.colours = colours;
  }
  const w = r.canvas.width, h = r.canvas.height, v = s.view;
  gl.viewport(0, 0, w, h);
  gl.clearColor(0, 0, 0, 0);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.enable(gl.BLEND);
  gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  gl.useProgram(r.program);
  gl.uniform2f(r.origin, v.lo[0], v.hi[1]);
  gl.uniform2f(r.scale, (s.size * s.dpr) / (v.hi[0] - v.lo[0]), (s.size * s.dpr) / (v.hi[1] - v.lo[1]));
  gl.uniform2f(r.size, w, h);
  gl.uniform1f(r.side, pointSide(s, n));
  gl.bindVertexArray(r.vao);
  gl.drawArrays(gl.POINTS, 0, r.n);
  gl.bindVertexArray(null);
  return true;
}
