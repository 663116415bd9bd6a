// The walk from A to B: its frames decoded ahead in idle time (the code at t from
// LatentDecoder.walk, decoder.js), the marker's place on the path, the frame shown while scrubbing.

function walkAt(w, t) { return LatentDecoder.walk(w.a, w.b, w.method, t); }

function frameAt(s, t) {
  const step = Math.round(t * 100);
  if (!s.frames.has(step)) s.frames.set(step, s.model.decode(walkAt(s.data.walk, step / 100)));
  return s.frames.get(step);
}

// Decodes the walk's 101 frames ahead of scrubbing in the browser's idle time, a frame only when
// it fits before the next pointer event is due, so previews never wait behind it (a conv decoder
// takes 4-7 ms a frame here).
const whenIdle = globalThis.requestIdleCallback
  ? (f) => requestIdleCallback(f, { timeout: 1000 })
  : (f) => setTimeout(() => f({ didTimeout: true, timeRemaining: () => 0 }), 16);

function decodeWalk(s, walkId) {
  let step = 0, cost = 1;
  const slice = (deadline) => {
    if (s.walkId !== walkId || !s.model) return;
    if (deadline.didTimeout && step < 101) frameAt(s, step++ / 100); // never idle: still progress
    while (step < 101 && deadline.timeRemaining() > cost + 1) {
      const t0 = performance.now();
      frameAt(s, step++ / 100);
      cost = Math.max(cost, performance.now() - t0); // a decode's worst time so far
    }
    if (step < 101) whenIdle(slice);
  };
  whenIdle(slice);
}

// the marker's place on the map at t, along the drawn path (its points evenly spaced in t)
function pathAt(path, t) {
  const u = t * (path.length - 1), i = Math.min(Math.floor(u), path.length - 2), f = u - i;
  return [path[i][0] + f * (path[i + 1][0] - path[i][0]), path[i][1] + f * (path[i + 1][1] - path[i][1])];
}

function showFrame(s, el, t) {
  if (!s.model) return;
  drawDigit(el.frame, frameAt(s, t), s.model.image);
  el.frame.dataset.frame = String(Math.round(t * 100) / 100);
  el.frameCaption.textContent = s.data.fill ? `walk at ${t.toFixed(2)}` : `the walk at ${t.toFixed(2)} (${s.data.walk.method})`;
}
