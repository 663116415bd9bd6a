"""Latent Explorer: which pages exist, in what order. Each page lives in views/ and the computing
in the ``explorer`` package.

    streamlit run app.py                          # data found as explorer/data/__init__.py describes
    streamlit run app.py -- --data-dir DIR        # DIR holds mnist/ and fashion-mnist/
    streamlit run app.py -- --models-dir DIR      # also offer the bundles in DIR
"""

from __future__ import annotations

from ui import warming

warming.wait()  # a server started warm imports the app in the background: its first runs wait for it

import streamlit as st  # noqa: E402

from ui import course, favicon, history, present, session  # noqa: E402
from views import compare, explore  # noqa: E402
from views.lessons import LESSONS  # noqa: E402


def pages() -> dict[str, list]:
    lessons = [st.Page(lesson.render, title=f"{i}. {lesson.short}", icon=lesson.icon, url_path=lesson.path)
               for i, lesson in enumerate(LESSONS, 1)]
    explore_page = st.Page(explore.render, title="Explore a latent space", icon=":material/scatter_plot:",
                           url_path="explore", default=True)
    compare_page = st.Page(compare.render, title="AE vs VAE, side by side", icon=":material/compare:", url_path="compare")
    # the explore page is the app's default, at the root: its path in the tour is ""
    course.PAGES_BY_PATH.update({"": explore_page, "compare": compare_page,
                                 **{lesson.path: page for lesson, page in zip(LESSONS, lessons)}})
    course.TOUR[:] = [("", explore_page.title), ("compare", compare_page.title),
                      *((lesson.path, f"{i}. {lesson.short}") for i, lesson in enumerate(LESSONS, 1))]
    return {"Explore": [explore_page, compare_page], "Course": lessons}


def main() -> None:
    # the tab's icon ships with the app: else Streamlit fetches each page's icon from Google's fonts
    st.set_page_config(page_title="Latent Explorer", page_icon=favicon.FAVICON, layout="wide")
    page = st.navigation(pages(), position="sidebar")
    history.mount()
    present.start(page.url_path)
    session.run_page(page)
    present.toggle()


if __name__ == "__main__":
    main()
