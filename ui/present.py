"""Presentation mode (``?present=1``, or the sidebar's toggle): the page as a teacher puts it on a
projector. The sidebar and Streamlit's header are hidden, text is 22 px and nothing on the page is
under 20 px (ui/present/style.css), maps are as large as the screen allows (square, about 80% of the
window's height: ``map_fill``), each lesson's instrument and "Try this" share the first screen
(views/lessons/common.py lays them out). A strip along the top (``bar``) walks the tour: the
explore page, /compare, then the lessons (ui/course.py), with the previous and next pages, a
menu of every page, the keys' hint and the way out; the right and left arrow keys turn the same
pages (``keys``; ui/present/keys.js). The mode belongs to the session, so it survives moving
between pages, and it is in every URL the page writes (``query``), so a shared link opens in it.

Printing any page (``PRINT_CSS``, in both modes) leaves the navigation, the buttons and the
widgets' chrome out: a lesson prints as a one- or two-page handout.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from ui import course, static_files

ASSETS = Path(__file__).resolve().parent / "present"
PARAM = "present"  # the URL parameter: ?present=1
ACTIVE = "present"  # session key: True while presenting
W_PRESENT = "w_present"  # the sidebar's toggle
W_LEAVE = "w_present_leave"  # the button that leaves it, top right in presentation mode
BAR = "present_bar"  # the strip along the top: the tour's controls and that button (CSS class st-key-present_bar)

# What printing leaves out, in both modes: the navigation and everything that only works on screen.
PRINT_CSS = """@media print {
  section[data-testid="stSidebar"], header[data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stSidebarCollapsedControl"], [data-testid="stPageLink"],
  [data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"], .stButton,
  .st-key-present_bar, [data-testid="stExpandSidebarButton"], .lm-reset, .lm-scrub { display: none !important; }
  [data-testid="stMainBlockContainer"], .block-container { padding: 0 !important; max-width: 100% !important; }
  [data-testid="stAppViewContainer"], [data-testid="stMain"] { overflow: visible !important; }
  html { font-size: 11pt; }
  [data-testid="stVerticalBlock"] { gap: 0.4rem !important; }
}"""


def start(path: str) -> None:
    """At the top of every page run (``path``: the page's URL path, "" for the explore page): take
    ``?present=1`` from a fresh session's URL, then draw the mode's styles and, presenting, the
    tour's strip and keys (``toggle`` draws the sidebar's switch, at the foot of the sidebar,
    after the page)."""
    ss = st.session_state
    if ACTIVE not in ss:
        ss[ACTIVE] = st.query_params.get(PARAM) == "1"
    st.html(f"<style>{PRINT_CSS}</style>")
    if ss[ACTIVE]:
        st.html(f"<style>{_style()}</style>")
        bar(path)


def bar(path: str) -> None:
    """The tour's controls, on the first screen of every page: the previous and next pages by name,
    a menu of every page (the sidebar is hidden), the arrow keys' hint and the way out."""
    near = course.neighbours(path)
    link = {"query_params": {PARAM: "1"}}  # the mode is the session's; the link says it too
    with st.container(key=BAR, horizontal=True, horizontal_alignment="right", vertical_alignment="center"):
        if "previous" in near:
            title, page = near["previous"]
            st.page_link(page, label=f"Previous: {title}", icon=":material/arrow_back:", **link)
        if "next" in near:
            title, page = near["next"]
            st.page_link(page, label=f"Next: {title}", icon=":material/arrow_forward:", **link)
        with st.popover("All pages", icon=":material/menu:"):
            for p, title, page in course.tour():
                st.page_link(page, label=title, disabled=p == path, **link)
        st.caption("Keys: ← →", help="The right and left arrow keys turn to the next and previous page.")
        st.button("Leave presentation mode", key=W_LEAVE, on_click=_set, args=(False,),
                  icon=":material/close_fullscreen:", type="tertiary")
        keys(near)  # in the strip, which takes no room from the page


def toggle() -> None:
    """The sidebar's switch into presentation mode, after the page has drawn its own sidebar."""
    if not active():
        st.session_state[W_PRESENT] = False
        st.sidebar.divider()
        st.sidebar.toggle("Presentation mode", key=W_PRESENT, on_change=_toggled,
                          help="For a projector: no sidebar, large text and maps, each lesson's "
                               "instrument and task on one screen. Also ?present=1 in a link.")


def _set(on: bool) -> None:
    st.session_state[ACTIVE] = on


def _toggled() -> None:
    _set(bool(st.session_state[W_PRESENT]))


def active() -> bool:
    return bool(st.session_state.get(ACTIVE, False))


def query() -> dict[str, str]:
    """What every URL the page writes carries for the mode."""
    return {PARAM: "1"} if active() else {}


def map_fill(n_maps: int = 1) -> float | None:
    """The share of the window's height a map's side may take, in presentation mode (None
    otherwise: the browser map's own share, ui/latent_map/component.js PLAIN_FILL): a map alone
    fills the height; several in a row are as wide as their columns allow, under the lesson's
    "Try this"."""
    if not active():
        return None
    return 0.8 if n_maps == 1 else 0.6


def figure(fig, height: int | None = None):
    """A Plotly figure made legible on a projector (22 px text, 20 px ticks); unchanged otherwise."""
    if active():
        fig.update_layout(font=dict(size=22), title_font=dict(size=22),
                          legend=dict(font=dict(size=20), title_font=dict(size=20)))
        fig.update_xaxes(tickfont=dict(size=20), title_font=dict(size=20))
        fig.update_yaxes(tickfont=dict(size=20), title_font=dict(size=20))
        for a in fig.layout.annotations or ():
            a.font = dict(size=20)
        if height:
            fig.update_layout(height=height)
    return fig


@functools.cache
def _style() -> str:
    return (ASSETS / "style.css").read_text()


@functools.cache
def _keys():
    return static_files.listed(st.components.v2.component("present_keys", js=(ASSETS / "keys.js").read_text()))


def keys(neighbours: dict[str, tuple[str, object]]) -> None:
    """In presentation mode, the arrow keys to the tour's pages in ``neighbours`` ({"next": (title,
    page), "previous": ...}, either may be missing): the browser follows the strip's link for the
    key (a server-side st.switch_page would write the new page's address under the old path first,
    two history entries for one turn)."""
    if not active():
        return
    _keys()(key="present_keys", data={"lesson": ",".join(sorted(neighbours))})
