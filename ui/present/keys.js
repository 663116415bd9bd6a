// Presentation mode's keyboard: the right and left arrows turn to the next and previous page of
// the tour, by following the strip's own "Next" and "Previous" links (ui/present.py's bar): the
// same client-side navigation as a click, so the session, the mode and the history are the same
// as after a click. Keys typed into a field, a slider or a select are theirs, never a page turn.
let attached = false;

function typing(target) {
  return Boolean(target && target.closest && target.closest(
    "input, textarea, select, [contenteditable=''], [contenteditable='true'], [role='slider'], [role='combobox'], [role='listbox']"));
}

function link(turn) {
  const label = turn === "next" ? "Next:" : "Previous:";
  return [...document.querySelectorAll(".st-key-present_bar a")]
    .find((a) => a.textContent.includes(label)) || null;
}

function onKey(ev) {
  // inside a component's shadow root the event reaches the window retargeted to its host: the
  // first element of its path is the field or slider itself
  const target = (ev.composedPath && ev.composedPath()[0]) || ev.target;
  if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey || typing(target)) return;
  const turn = ev.key === "ArrowRight" ? "next" : ev.key === "ArrowLeft" ? "previous" : null;
  const to = turn && link(turn);
  if (to) { ev.preventDefault(); to.click(); }
}

export default function ({ data: [data], parentElement }) { // the page's data, as a list of one
  (parentElement.host || parentElement).dataset.presentKeys = data.lesson || ""; // for scripts
  if (!attached) { window.addEventListener("keydown", onKey); attached = true; }
  return undefined; // one listener for the page's life
}
