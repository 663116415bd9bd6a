"""Sentences on screen say what the screen shows: what a click does on each board (the same code
only where the maps share a frame), where the walk's slider is, how the bottleneck's errors
move, that an error histogram reaches the worst image listed under it, and what stands at each
end of a walk whose ends are spots rather than test images."""

import html
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer
from explorer.teaching import figures
from ui import board, map_component, present, session
from ui.session import W_CLASS, W_EXAMPLE
from explorer.teaching import frames
from views.lessons import beta, bottleneck

from .conftest import ROOT
from .test_lessons import open_lesson


def plane(*names):
    models = [explorer.load_model(n) for n in names]
    return models, [m.map("direct") for m in models]


def test_only_maps_in_one_frame_are_said_to_draw_the_same_code():
    ae_vae = board.click_note(*plane("mnist-ae-2d", "mnist-vae-2d"))
    assert "same place in each map's frame" in ae_vae and "same code" not in ae_vae
    assert "different codes" in ae_vae
    betas = board.click_note(*plane(*beta.BETAS))
    assert frames.shared_frame(*plane(*beta.BETAS)) and "all 3 decoders draw the same code" in betas
    for note in (ae_vae, betas):  # a dot is each model's own code of that image, whatever the frames
        assert "each model decodes its own code of that image" in note
    models = [explorer.load_model(n) for n in ("mnist-ae-16", "mnist-vae-16")]
    tsne = board.click_note(models, [m.map("tsne") for m in models])
    assert "same code" not in tsne and "same place" not in tsne


def test_the_walks_slider_is_named_where_the_map_puts_it(monkeypatch):
    assert map_component.slider_place() == "under the map"
    monkeypatch.setattr(present, "active", lambda: True)
    assert map_component.slider_place(1) == map_component.slider_place(2) == "in the panel beside the map"
    assert "under it" in map_component.slider_place(3)


def test_the_bottleneck_sentence_agrees_in_number():
    assert bottleneck.trends([3, 2, 1], [5, 4, 3]) == "both errors fall"
    assert bottleneck.trends([1, 2, 3], [1, 2, 4]) == "both errors rise"
    assert bottleneck.trends([1, 3, 2], [3, 1, 2]) == "both errors do not move one way"
    assert bottleneck.trends([3, 2, 1], [1, 3, 2]) == "the autoencoder's error falls and PCA's does not move one way"


@pytest.mark.parametrize("own", [False, True])
def test_an_error_histogram_reaches_the_worst_error(own):
    errors = np.random.default_rng(0).gamma(2.0, 0.02, 5000)
    errors[:3] = [0.5, 0.45, 0.4]  # a tail far past the 99.9th percentile, as the worst few are
    fig = figures.error_histogram(errors, errors > 0.05 if own else None, 0.1, ["0"])
    for trace in fig.data:
        assert trace.xbins.start == 0 and trace.xbins.end >= errors.max()
        assert trace.xbins.size < np.quantile(errors, 0.999) / 50  # the bulk keeps its fine bins
    assert fig.layout.xaxis.range[1] >= errors.max()
    assert f"{errors.max():.3f}" in fig.layout.xaxis.title.text


lesson = open_lesson  # a lesson run alone under AppTest, as tests/test_lessons.py runs them


def test_the_lessons_say_what_a_click_does_on_their_boards():
    at = lesson("beta")
    notes = [i.value for i in at.info if i.value.startswith("Click a dot")]
    assert len(notes) == 1 and "all 3 decoders draw the same code" in notes[0]  # once, under the row
    at = lesson("generating")
    notes = [i.value for i in at.info if i.value.startswith("Click a dot")]
    assert len(notes) == 1 and "same place in each map's frame" in notes[0] and "same code" not in notes[0]
    at = lesson("interpolation")
    assert any("slider under the map" in i.value for i in at.info)
    assert not any("beside the map" in i.value for i in at.info)
    assert not at.exception


def compare(query=None) -> AppTest:
    page = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom views import compare\ncompare.render()"
    at = AppTest.from_string(page, default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def test_the_compare_page_says_what_a_click_does_on_its_board():
    at = compare()
    (note,) = [i.value for i in at.info if i.value.startswith("Click a dot")]
    assert note == board.click_note(*plane("mnist-ae-2d", "mnist-vae-2d"))
    assert "click on empty space lands at the same place in both frames" in " ".join(m.value for m in at.markdown)
    (button,) = [b.label for b in at.button if "differ most" in b.label]
    assert "between" not in button  # the spot lies away from the AE's test codes, not inside their hull


def test_a_spot_between_the_dots_of_a_tsne_board_is_not_taken():
    at = compare({"left": "mnist-ae-16", "right": "mnist-vae-16"})
    (note,) = [i.value for i in at.info if i.value.startswith("Click a dot")]
    assert "no counterpart" in note
    at.session_state[session.widget("compare", "map", "left", "mnist-ae-16", "tsne")] = {"spot": [3.3, 4.4], "t": None}
    at.run()
    assert not at.exception and "spot" not in dict(at.query_params)


def explore(query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def strip_caption(at) -> str:
    """The caption of the walk's strip (a row of pictures, ui/pictures.row)."""
    (caption,) = [html.unescape(c) for h in at.get("html")
                  for c in re.findall(r"<figure data-row[^>]*>.*?<figcaption[^>]*>(.*?)</figcaption>", h.proto.body)
                  if c.startswith("10 evenly spaced steps")]
    return caption


@pytest.mark.usefixtures("pages_see_images")
def test_a_walk_from_a_spot_says_so_and_its_picker_shows_no_test_image():
    m = explorer.load_model("mnist-vae-2d")
    at = explore({"model": "mnist-vae-2d", "a": "1.5,1.2", "b": str(int(m.latents.index[12]))})
    assert not at.exception
    caption = strip_caption(at)
    assert "the start is the decoder's image of A, the spot (1.50, 1.20)" in caption
    assert "B's original image stands at the end" in caption and "original images of A and B" not in caption
    assert at.selectbox(key=W_CLASS["a"]).value is None and at.slider(key=W_EXAMPLE["a"]).disabled
    assert any(c.value.startswith("A is a spot on the map, not a test image") for c in at.caption)
    assert at.selectbox(key=W_CLASS["b"]).value == m.latents.labels[12]
    # picking a class makes A a test image again: the picker, the caption and the strip say so
    at.selectbox(key=W_CLASS["a"]).set_value(3).run()
    assert not at.exception and at.selectbox(key=W_CLASS["a"]).value == 3
    assert "A's original image stands at the start" in strip_caption(at)
    assert not any(c.value.startswith("A is a spot on the map") for c in at.caption)
