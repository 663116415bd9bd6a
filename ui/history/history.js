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
  const marked = (state, mark) => ({ ...(state || {}), [MARK]: mark });
  // A link to another page was followed: Streamlit writes that page's first address, then moves
  // the path, in either order; both belong to one entry, at the new path.
  let pending = null; // {path, written}
  history.pushState = function (state, unused, url) {
    const to = url === undefined || url === null ? null : new URL(url, location.href);
    if (pending && to) {
      if (to.pathname === location.pathname && to.pathname !== pending.path) { // the new page's address, early
        pending.written = true;
        return push(marked(state, "written"), unused, pending.path + to.search + to.hash);
      }
      if (to.pathname === pending.path) {
        const early = pending.written;
        pending = null;
        return early ? replace(marked(state, "written"), unused, url) : push(marked(state, "opened"), unused, url);
      }
      pending = null;
    }
    // a fresh load's entry has no state; a page opened since is marked so until something writes it
    const opened = history.state === null || history.state[MARK] === "opened";
    if (to && samePage(url) && opened) {
      return replace(marked(state, "written"), unused, url);
    }
    return push(marked(state, to && !samePage(url) ? "opened" : "written"), unused, url);
  };
  history.replaceState = function (state, unused, url) {
    const mark = history.state && history.state[MARK];
    return replace(mark ? marked(state, mark) : state, unused, url);
  };
  const written = () => {
    if (history.state === null || history.state[MARK] === "opened") {
      replace(marked(history.state, "written"), "", location.href);
    }
  };
  window.addEventListener("pointerdown", written, true);
  window.addEventListener("keydown", written, true);
  window.addEventListener("click", (ev) => { // a link to another page of the app
    const a = ev.target && ev.target.closest && ev.target.closest("a[href]");
    if (!a || a.target === "_blank") return;
    const to = new URL(a.href, location.href);
    if (to.origin === location.origin && to.pathname !== location.pathname) pending = { path: to.pathname, written: false };
  }, true);
  window.addEventListener("popstate", () => { pending = null; });
}

install();
})();
