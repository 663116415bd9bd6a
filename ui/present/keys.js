// Presentation mode's keyboard: the right and left arrows turn to the next and previous lesson.
// The listener only reports the key (setTriggerValue "turn": "next" or "previous"); the server
// turns the page with st.switch_page, which keeps the session and with it presentation mode.
// Keys typed into a field, a slider or a select are theirs, never a page turn.
let report = null;
let attached = false;

function typing(target) {
  return Boolean(target && target.closest && target.closest(
    "input, textarea, select, [contenteditable=''], [contenteditable='true'], [role='slider'], [role='combobox'], [role='listbox']"));
}

function onKey(ev) {
  if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey || typing(ev.target) || !report) return;
  const turn = ev.key === "ArrowRight" ? "next" : ev.key === "ArrowLeft" ? "previous" : null;
  if (turn) { ev.preventDefault(); report(turn); }
}

export default function ({ data, parentElement, setTriggerValue }) {
  report = (turn) => setTriggerValue("turn", turn);
  (parentElement.host || parentElement).dataset.presentKeys = data.lesson || ""; // for scripts
  if (!attached) { window.addEventListener("keydown", onKey); attached = true; }
  return undefined; // one listener for the page's life; it reports through the latest mount
}
