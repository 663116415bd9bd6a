"""Lesson: generating from the plane. An AE's and a VAE's 2-D planes side by side, every spot decoded:
where codes make sense, and how many drawn from the prior read as digits, measured."""

from __future__ import annotations

from explorer.teaching.state import BoardState, ModelUnavailable
from ui import board, course, resources
from views.lessons import common


GENERATING = board.Board(key="generating", sets=(("mnist-ae-2d", "mnist-vae-2d"),), sides=("ae", "vae"),
                         layers=("manifold",), measured=True)


def _ae_objective(catalog) -> str:
    """What the AE of this lesson was trained to do, from its bundle's training settings."""
    ae = GENERATING.sets[0][0]
    pull = 0.0
    if ae in catalog.names():
        try:
            pull = float((catalog.model(ae).config.get("training") or {}).get("code_penalty") or 0.0)
        except (ModelUnavailable, TypeError, ValueError):
            pass
    if pull:
        return (f"The autoencoder (left) was asked to rebuild its training images while keeping its codes near "
                f"0 (a penalty of {pull:g} x |z|²/2 per image, {pull:.0%} of the pull a VAE's KL term puts on "
                "its means), one point per image; nothing told it what the space between its codes should mean. ")
    return ("The plain autoencoder (left) was only asked to rebuild its training images; nothing told it what "
            "the space between its codes should mean, nor where its codes should lie. ")


def generating() -> None:
    args = resources.settings()
    layout = common.frame("generating", [
        "The decoder is a generator: give it **any** two numbers, even a code no image was ever given, "
        "and it draws an image. Under the dots, each tile is the image decoded at that very spot.",
        _ae_objective(resources.catalog(args))
        + "The variational autoencoder (right) gives each image a cloud of codes, not one point, and keeps the "
        "clouds like a standard normal distribution. Here is what that changes, measured on these two models:",
    ], say="Both decoders draw an image for any code; what differs is where the codes make sense and "
           "whether we know where to pick new ones.", wide=True)
    with layout:
        shown = board.show(GENERATING, resources.catalog(args), args)
    if shown is not None:
        common.try_this(layout, "Press \"Show the spot ... where the two differ most\" (under the measured "
                                "figures), then click a spot halfway between two clusters on the left. Which model "
                                "would you use to draw new digits, and why?")
        with layout.after:
            board.generation_text(GENERATING, shown)
    common.footer(layout, "generating", "D. P. Kingma and M. Welling, Auto-encoding variational Bayes, ICLR "
                                        "2014, figure 4 (the learned MNIST manifold).")


course.lesson(path="generating", short="Generating", title="Generating from the plane", icon=":material/auto_awesome:",
              render=generating, charts=2, state=BoardState, example={"spot": "1.5,-2.5", "a": "3", "b": "2", "t": "0.7"},
              needs=GENERATING.sets[0])
