"""The browser tab's icon, shipped beside this file, so that no page asks another host for anything.

Without ``st.set_page_config(page_icon=...)`` Streamlit's page shows the current ``st.Page``'s icon
in the tab, and a Material icon (``:material/scatter_plot:``) becomes a request to
``https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/<name>/default/24px.svg``
on every page and every page change (Streamlit 1.67's frontend, ``index.*.js``: the navigation
handler passes the page's icon to the favicon setter unless the page config set one). A class
without internet sees failed requests; a class with it tells Google which lesson is open.

Given to ``st.set_page_config(page_icon=FAVICON)`` before ``st.navigation``, this icon wins for the
whole session, and, being an SVG file, is sent inline as a ``data:`` URI (Streamlit's
``image_to_url``): the tab's icon costs no request at all, under any base path or proxy. The
Material icons of the navigation, buttons and links are drawn from the font Streamlit bundles and
are not affected.
"""

from __future__ import annotations

from pathlib import Path

FAVICON = Path(__file__).with_name("favicon.svg")
