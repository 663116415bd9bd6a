"""Lesson: clusters. A 2-D autoencoder's plane, whose classes sort themselves out though it never saw
a label; how often a test image's neighbours on the map share its label, measured."""

from __future__ import annotations

from explorer.teaching import facts
from explorer.teaching.state import BoardState
from ui import board, course, resources
from ui.text import literal
from views.lessons import common


TWO_D = (("mnist156-ae-2d",), ("mnist-ae-2d",), ("mnist-vae-2d",), ("fashion-mnist-vae-2d",))

CLUSTERS = board.Board(key="clusters", sets=TWO_D, params=("model",), picker="Model", layers=("density",),
                       map_note="Hover over the map: the image under the pointer is decoded as you move. "
                                "Click to keep a spot.")


def clusters() -> None:
    layout = common.frame("clusters", [
        "Every dot is one test image, placed where the encoder puts its code of **two numbers**. The "
        "colours are the images' labels, which the autoencoder never saw: it was only asked to rebuild "
        "its images from their codes. To rebuild a digit from two numbers, it pays to give every image "
        "of that digit similar numbers, so the classes may sort themselves out. The lines circle the densest half of each class.",
    ], say="Nobody told the autoencoder which digit is which, yet similar images get similar codes: the "
           "clusters are the model's own idea of what looks alike.")
    args = resources.settings()
    with layout:
        shown = board.show(CLUSTERS, resources.catalog(args), args, menu=common.menu(layout))
    if shown is not None:
        model, mp = shown.models[0], shown.maps[0]
        c = resources.plane_clusters(mp.xy, model.latents.labels, model.class_names)
        pairs = " and ".join(f"{literal(a)} with {literal(b)} ({share:.0%})" for a, b, share in c.mixed)
        common.try_this(layout, "Move the pointer slowly across the border between two clusters and watch the "
                                f"digit under it change its mind. Then choose another model {common.menu_place(layout)}: "
                                "which classes overlap there?")
        layout.text.markdown(
            f"Measured on {literal(model.name)}: of each test image's {facts.NEIGHBOURS} nearest "
            f"neighbours on this map, **{c.agreement:.0%}** share its label on average, where labels "
            f"scattered at random would give {c.chance:.0%}. Where clusters touch, the classes that "
            f"mix most are {pairs} of the neighbours with another label.")
    common.footer(layout, "clusters", "G. E. Hinton and R. R. Salakhutdinov, Reducing the dimensionality of "
                                      "data with neural networks, Science 313 (2006), figure 3.")


course.lesson(path="clusters", short="Clusters", title="Clusters in the latent space", icon=":material/bubble_chart:",
              render=clusters, charts=1, state=BoardState,
              example={"model": "mnist-vae-2d", "spot": "12", "a": "3", "b": "2", "t": "0.3"},
              needs=tuple(name for (name,) in TWO_D))
