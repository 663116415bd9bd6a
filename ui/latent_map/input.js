// Input: the pointer (hover previews, click, drag to pan), the wheel (zoom), the scrub slider and
// the keyboard, attached once per mount.

function attach(ui, el) {
  const s = ui.state;
  let pending = null, drag = null;

  const local = (ev) => {
    const r = el.overlay.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };

  const hoverAt = (px, py) => {
    if (!s.model) return;
    const h = under(s, px, py);
    drawDigit(el.preview, h.image, s.model.image);
    drawDigit(el.float, h.image, s.model.image);
    showEveryLabel(s, el, h);
    el.preview.dataset.preview = `${fmt(h.x)},${fmt(h.y)}`;
    // over a test point, its original in the preview's corner, so decoded and original sit together
    el.original.style.display = h.original ? "block" : "none";
    if (h.original) {
      drawDigit(el.original, h.original, s.model.image);
      el.original.dataset.original = String(s.model.array(s.model.manifest.test_index)[h.row]);
    } else delete el.original.dataset.original;
    el.previewCaption.textContent = (s.data.fill ? "decoded: " : "decoded under the pointer: ") + describe(s, h)
      + (h.original ? (s.data.fill ? "; corner: original" : "; in the corner, the original") : "");
    el.float.style.display = "block";
    const side = el.float.offsetWidth || 56; // 112 px when presenting (style.css)
    el.float.style.left = Math.min(px + 14, s.size - side - 4) + "px";
    el.float.style.top = Math.max(py - side - 14, 0) + "px";
    drawOverlay(s, el, h);
  };

  el.overlay.addEventListener("pointermove", (ev) => {
    const [px, py] = local(ev);
    if (drag) {
      const dx = px - drag.px, dy = py - drag.py;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        const v = s.view, w = v.hi[0] - v.lo[0], hgt = v.hi[1] - v.lo[1];
        const ox = (-dx / s.size) * w, oy = (dy / s.size) * hgt;
        v.lo = [drag.lo[0] + ox, drag.lo[1] + oy];
        v.hi = [drag.hi[0] + ox, drag.hi[1] + oy];
        drawPoints(s, el);
        drawOverlay(s, el);
        return;
      }
    }
    // decode at most once per frame: the newest pointer position wins
    if (pending === null) {
      pending = requestAnimationFrame(() => {
        pending = null;
        hoverAt(...s.last);
      });
    }
    s.last = [px, py];
  });
  el.overlay.addEventListener("pointerleave", () => {
    el.float.style.display = "none";
    if (s.model) drawOverlay(s, el);
    if (s.model && s.spotShown) showEveryLabel(s, el, s.spotShown); // back to the clicked spot
  });
  el.overlay.addEventListener("pointerdown", (ev) => {
    const [px, py] = local(ev);
    drag = { px, py, lo: s.view.lo.slice(), hi: s.view.hi.slice(), moved: false };
    el.overlay.setPointerCapture(ev.pointerId);
  });
  el.overlay.addEventListener("pointerup", (ev) => {
    const wasDrag = drag && drag.moved;
    drag = null;
    if (wasDrag || !s.model) return;
    const [px, py] = local(ev);
    const h = under(s, px, py);
    if (s.data.dots_only && h.row === null) { // these maps share a test image, not a spot between the dots
      el.spotCaption.textContent = s.data.fill ? "click a dot: no shared code here"
        : "click a dot: between the dots of this map there is no code the other maps share";
      return;
    }
    s.committed = [h.x, h.y];
    showSpot(s, el, h.x, h.y, h);
    drawOverlay(s, el, h);
    s.setStateValue("spot", [h.x, h.y]);
  });
  el.overlay.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [px, py] = local(ev);
    const [cx, cy] = s.toData(px, py);
    const f = Math.exp(ev.deltaY * 0.0015);
    const v = s.view;
    v.lo = [cx - (cx - v.lo[0]) * f, cy - (cy - v.lo[1]) * f];
    v.hi = [cx + (v.hi[0] - cx) * f, cy + (v.hi[1] - cy) * f];
    drawPoints(s, el);
    drawOverlay(s, el);
  }, { passive: false });
  el.scrub.addEventListener("input", () => {
    if (!s.model) return;
    s.scrubbing = true;
    const t = Number(el.scrub.value);
    showFrame(s, el, t);
    s.scrubAt = pathAt(s.data.path, t);
    drawOverlay(s, el);
    scrubGroup(s, t, false);
  });
  el.scrub.addEventListener("change", () => { // let go: the server hears the final position
    s.scrubbing = false;
    s.setStateValue("t", Number(el.scrub.value));
  });
  el.reset.addEventListener("click", () => {
    s.view.lo = s.data.box[0].slice();
    s.view.hi = s.data.box[1].slice();
    drawPoints(s, el);
    drawOverlay(s, el);
  });
}
