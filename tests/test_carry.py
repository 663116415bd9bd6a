"""A view taken to another model or map (explorer.teaching.view.carry): what is kept, where a spot goes,
and the line that says so, on the shipped models."""

import numpy as np
import pytest

import explorer
from explorer.teaching.facts import same_place
from explorer.teaching.state import ViewState
from explorer.teaching.view import carry, keeps_test_image


@pytest.fixture(scope="module")
def models():
    return {n: explorer.load_model(n) for n in ("mnist-vae-2d", "mnist-ae-2d", "mnist-vae-16", "mnist156-ae-2d",
                                               "fashion-mnist-vae-2d")}


def test_a_model_of_the_same_images_keeps_a_b_the_slider_and_the_spot_at_its_place_in_the_frame(models):
    vae, ae = models["mnist-vae-2d"], models["mnist-ae-2d"]
    state = ViewState(model=vae.name, map="direct", a=5652, b=2147, t=0.29, path="slerp", spot=(1.25, -2.5))
    c = carry(state, vae, vae.map("direct"), ae, ae.map("direct"))
    assert (c.state.model, c.state.a, c.state.b, c.state.t, c.state.path) == (ae.name, 5652, 2147, 0.29, "slerp")
    expected = same_place(np.float32([[1.25, -2.5]]), vae.map("direct").view_box(), ae.map("direct").view_box())[0]
    np.testing.assert_allclose(c.state.spot, expected, rtol=1e-6)
    assert c.note == ("Kept on mnist-ae-2d's latent plane: A (test image #5652), B (test image #2147), the clicked "
                      "spot (the same place in the frame), the slider at 0.29 and the slerp path.")


def test_a_clicked_test_image_goes_to_that_images_point_on_another_model(models):
    vae, v16 = models["mnist-vae-2d"], models["mnist-vae-16"]
    row = 42
    spot = tuple(float(v) for v in vae.map("direct").xy[row])
    c = carry(ViewState(model=vae.name, map="direct", spot=spot), vae, vae.map("direct"), v16, v16.map("tsne"))
    new_row = int(v16.latents.rows_of(int(vae.latents.index[row]))[0])
    assert c.state.spot == tuple(float(v) for v in v16.map("tsne").xy[new_row])
    # a spot off the test images has no place on another model's t-SNE map: dropped, and said why
    c = carry(ViewState(model=vae.name, map="direct", spot=(0.123, 0.456)), vae, vae.map("direct"), v16, v16.map("tsne"))
    assert c.state.spot is None and c.note.startswith("Not kept: the clicked spot (")


def test_other_images_and_fewer_images_send_the_ends_back_with_the_reason(models):
    vae, fashion, some = models["mnist-vae-2d"], models["fashion-mnist-vae-2d"], models["mnist156-ae-2d"]
    state = ViewState(model=vae.name, map="direct", a=3, b=2, t=0.7)
    c = carry(state, vae, vae.map("direct"), fashion, fashion.map("direct"))
    assert (c.state.a, c.state.b, c.state.t) == (None, None, 0.7)
    assert "Not kept: A and B (fashion-mnist-vae-2d has other images)." in c.note
    assert not keeps_test_image(vae, fashion, 3)  # Fashion-MNIST has a test image #3: another picture
    kept = int(some.latents.index[0])
    lost = int(np.setdiff1d(vae.latents.index, some.latents.index)[0])  # a digit mnist156 never saw
    c = carry(ViewState(model=vae.name, map="direct", a=kept, b=lost), vae, vae.map("direct"), some, some.map("direct"))
    assert (c.state.a, c.state.b) == (kept, None)
    assert f"Not kept: B (test image #{lost} is not among mnist156-ae-2d's)." in c.note
    # nothing chosen: nothing said
    c = carry(ViewState(model=vae.name, map="direct"), vae, vae.map("direct"), some, some.map("direct"))
    assert (c.state.a, c.state.b, c.state.spot, c.note) == (None, None, None, "")


def test_another_map_of_one_model_keeps_its_images_even_a_model_of_ones_own_images(models, monkeypatch):
    vae = models["mnist-vae-2d"]
    monkeypatch.setattr(type(vae), "own_data", property(lambda self: True))  # as an imported model's
    c = carry(ViewState(model=vae.name, map="direct", a=5, b=7, spot=(0.5, 0.5)), vae, vae.map("direct"), vae,
              vae.map("pca"))
    assert (c.state.map, c.state.a, c.state.b) == ("pca", 5, 7)
    np.testing.assert_allclose(c.state.spot, vae.map("pca").to_map(np.float32([[0.5, 0.5]]))[0], rtol=1e-5)
    assert "the clicked spot (its code's place on this map)" in c.note
