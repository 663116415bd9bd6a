// A drawing pad for one digit: dark ink on white paper, like a pen; the picture goes to the
// server as a PNG data URL when a stroke ends (state "drawing"), and null when cleared. The app
// turns it into the model's input the way MNIST was made (explorer/data/preprocess.py).
// Test hooks: the pad carries data-draw-pad, its clear button data-draw-clear.

const PEN = 0.075; // the pen's width as a share of the pad: MNIST strokes are about that thick

export default function (component) {
  const { parentElement, data: [data], setStateValue } = component; // the page's data, as a list of one
  let ui = parentElement.__drawPad;
  if (!ui) {
    const root = document.createElement("div");
    root.className = "dp";
    root.innerHTML = `<canvas data-draw-pad tabindex="0" aria-label="Draw a digit here"></canvas>
      <div class="dp-row"><button type="button" data-draw-clear>Clear</button>
      <span class="dp-hint">Draw one digit, large, with the mouse or a finger.</span></div>`;
    parentElement.appendChild(root);
    const canvas = root.querySelector("canvas"), ctx = canvas.getContext("2d");
    ui = parentElement.__drawPad = { canvas, ctx, drawing: false, last: null, root };
    const clear = () => {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    };
    ui.size = data.size;
    canvas.width = canvas.height = data.size;
    canvas.style.width = canvas.style.height = data.size + "px";
    clear();
    const at = (ev) => {
      const r = canvas.getBoundingClientRect();
      return [((ev.clientX - r.left) / r.width) * canvas.width, ((ev.clientY - r.top) / r.height) * canvas.height];
    };
    canvas.addEventListener("pointerdown", (ev) => {
      ui.drawing = true;
      ui.last = at(ev);
      canvas.setPointerCapture(ev.pointerId);
      stroke(ui, ui.last);
    });
    canvas.addEventListener("pointermove", (ev) => {
      if (!ui.drawing) return;
      const p = at(ev);
      stroke(ui, p);
      ui.last = p;
    });
    const end = () => {
      if (!ui.drawing) return;
      ui.drawing = false;
      ui.setStateValue("drawing", canvas.toDataURL("image/png"));
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    root.querySelector("[data-draw-clear]").addEventListener("click", () => {
      clear();
      ui.setStateValue("drawing", null);
    });
  }
  ui.setStateValue = setStateValue;
  ui.root.classList.toggle("dp-present", Boolean(data.present)); // presentation mode: text read from the back
  return undefined;
}

function stroke(ui, p) {
  const { ctx, canvas, last } = ui;
  ctx.strokeStyle = "#111";
  ctx.lineWidth = PEN * canvas.width;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(last[0], last[1]);
  ctx.lineTo(p[0] + 0.01, p[1]);
  ctx.stroke();
}
