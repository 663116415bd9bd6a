// The overlay drawn above the points: the walk's path and its marker, A and B, the clicked spot,
// the user's own digit, a VAE's clouds, the hovered point, and the rings of estimated spots.

// a CSS colour as [r, g, b], read back from a 1-pixel canvas
function parseColour(colour) {
  const c = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  c.fillStyle = colour;
  c.fillRect(0, 0, 1, 1);
  return Array.from(c.getImageData(0, 0, 1, 1).data.slice(0, 3));
}

// a filled circle with an outline
function dot(ctx, px, py, r, fill, stroke, width) {
  ctx.fillStyle = fill;
  ctx.strokeStyle = stroke;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.arc(px, py, r, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
}

function drawOverlay(s, el, hover) {
  const ctx = el.overlay.getContext("2d");
  ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
  ctx.clearRect(0, 0, s.size, s.size);
  const d = s.data;
  if (d.path && d.path.length > 1) {
    ctx.setLineDash([2, 4]);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#222";
    ctx.beginPath();
    d.path.forEach(([x, y], i) => (i ? ctx.lineTo(...s.toPx(x, y)) : ctx.moveTo(...s.toPx(x, y))));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  // the walk's ends, lettered large enough for the back of a room when presenting (the letters'
  // size in CSS pixels is data-label-px, for scripts), with a white halo over the dots
  const fontPx = d.fill ? 28 : 18;
  el.overlay.dataset.labelPx = String(fontPx);
  for (const [label, p] of [["A", d.a], ["B", d.b]]) {
    if (!p) continue;
    const [px, py] = s.toPx(p[0], p[1]);
    dot(ctx, px, py, d.fill ? 8 : 6, "#fff", "#222", 2);
    ctx.font = `bold ${fontPx}px sans-serif`;
    ctx.lineWidth = 4;
    ctx.strokeStyle = "#fff";
    ctx.strokeText(label, px - fontPx * 0.3, py - 10);
    ctx.fillStyle = "#222";
    ctx.fillText(label, px - fontPx * 0.3, py - 10);
  }
  if ((d.layers || []).includes("density") && s.xy) {
    const lines = densityContours(s);
    for (const { colour, segments } of lines) {
      ctx.beginPath();
      for (let i = 0; i < segments.length; i += 2) {
        ctx.moveTo(...s.toPx(...segments[i]));
        ctx.lineTo(...s.toPx(...segments[i + 1]));
      }
      ctx.lineWidth = 4.5; // a white halo, so the line stands out over its own class's dots
      ctx.strokeStyle = "#fff";
      ctx.stroke();
      ctx.lineWidth = 2;
      ctx.strokeStyle = colour;
      ctx.stroke();
    }
    el.overlay.dataset.density = String(lines.length); // classes with a contour, for scripts
  }
  // contours the page asks for (a VAE's posterior and prior) and sampled codes
  for (const c of d.curves || []) {
    ctx.setLineDash(c.dash ? [5, 4] : []);
    ctx.lineWidth = c.width || 1.5;
    ctx.strokeStyle = c.colour;
    ctx.beginPath();
    c.points.forEach(([x, y], i) => (i ? ctx.lineTo(...s.toPx(x, y)) : ctx.moveTo(...s.toPx(x, y))));
    ctx.stroke();
  }
  ctx.setLineDash([]);
  for (const [x, y] of d.samples || []) {
    dot(ctx, ...s.toPx(x, y), 3.5, "#D00", "#fff", 1);
  }
  // the drawn or uploaded digit: a marker element, so scripts find it by data-upload
  if (d.upload) {
    const [px, py] = s.toPx(d.upload[0], d.upload[1]);
    el.upload.dataset.upload = `${fmt(d.upload[0])},${fmt(d.upload[1])}`;
    el.upload.style.display = px < 0 || py < 0 || px > s.size || py > s.size ? "none" : "block";
    el.upload.style.left = px + "px";
    el.upload.style.top = py + "px";
  } else {
    el.upload.style.display = "none";
    delete el.upload.dataset.upload;
  }
  const at = s.scrubAt || d.at;
  if (at) {
    const [px, py] = s.toPx(at[0], at[1]);
    ctx.fillStyle = "#222";
    ctx.beginPath();
    ctx.moveTo(px, py - 7); ctx.lineTo(px + 7, py); ctx.lineTo(px, py + 7); ctx.lineTo(px - 7, py);
    ctx.fill();
  }
  if (!s.committed) {  // the test points an estimated spot was borrowed from (until a new click)
    ctx.strokeStyle = "#D00";
    ctx.lineWidth = 1.5;
    for (const [x, y] of d.ringed || []) {
      const [px, py] = s.toPx(x, y);
      ctx.beginPath();
      ctx.arc(px, py, 5, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  const spot = s.committed || d.spot;
  if (spot) {
    const [px, py] = s.toPx(spot[0], spot[1]);
    ctx.strokeStyle = "#D00";
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(px - 7, py - 7); ctx.lineTo(px + 7, py + 7);
    ctx.moveTo(px + 7, py - 7); ctx.lineTo(px - 7, py + 7);
    ctx.stroke();
  }
  if (hover && hover.row !== null) {
    const [px, py] = s.toPx(s.xy[2 * hover.row], s.xy[2 * hover.row + 1]);
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.stroke();
  }
}
