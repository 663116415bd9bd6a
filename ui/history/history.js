// One history entry per view. Streamlit pushes an entry when the page changes (a link, a page
// turn) and another when that page's first run writes its state into the address, so Back from a
// freshly opened page would land on its own bare address first. This keeps the browser's
// history to the views a user made: the first address a page writes after it is opened replaces
// the entry it was opened with; every later change of view (a click, a model, the slider let go)
// pushes as before. It runs as a plain script at the top of every page (ui/history), ahead of
// the page's first address.
// Entries are told apart by a mark in history.state, which survives a reload: a
// page's entry is "opened" until its first address, or the user's first press or key, makes it
// "written" (a page that writes nothing then keeps its entry for the views that follow).
(() => {
const MARK = "latentExplorer";
function samePage(url) {
  try {
    return new URL(url, location.href).pathname === location.pathname;
  } catch (e) {
    return false;
  }
}

function install() {
  if (window.__latentHistory) return;
  window.__latentHistory = true;
  const push = history.pushState.bind(history);
  const replace = history.replaceState.bind(history);
  history.pushState = function (state, unused, url) {
    // a fresh load's entry has no state; a page opened since is marked so until something writes it
    const opened = history.state === null || history.state[MARK] === "opened";
    if (url !== undefined && url !== null && samePage(url) && opened) {
      return replace({ ...(state || {}), [MARK]: "written" }, unused, url);
    }
    // a new page: its entry waits for its first run's address
    const mark = url !== undefined && url !== null && !samePage(url) ? "opened" : "written";
    return push({ ...(state || {}), [MARK]: mark }, unused, url);
  };
  history.replaceState = function (state, unused, url) {
    const mark = history.state && history.state[MARK];
    return replace(mark ? { ...(state || {}), [MARK]: mark } : state, unused, url);
  };
  const written = () => {
    if (history.state === null || history.state[MARK] === "opened") {
      replace({ ...(history.state || {}), [MARK]: "written" }, "", location.href);
    }
  };
  window.addEventListener("pointerdown", written, true);
  window.addEventListener("keydown", written, true);
}

install();
})();
