"""Plotly figures for the app: the latent map and its overlays, and how its clicks come back.

The map's first trace is an invisible, dense grid of points over the whole plane. Streamlit only
reports clicks that land on a point (its tracker, issue 8824), so the grid turns a click on empty space
into a click on the nearest grid point: at GRID_SIZE points a side that is within a few screen
pixels of where the user clicked. Its markers are fully transparent but still hit-testable
(``hoverinfo="none"``; ``"skip"`` would make them unclickable).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.teaching import posterior
from explorer.maps import LatentMap

GRID_SIZE = 120  # grid points per side: about 4 px apart on a 500 px wide plot
GRID_CURVE = 0  # curve number of the grid trace; class traces follow it in class order
# Okabe & Ito's colour-blind-safe palette, extended to ten classes with two neutral tones
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2",
           "#D55E00", "#CC79A7", "#000000", "#999999", "#8C564B"]


def class_colour(c: int) -> str:
    return PALETTE[c % len(PALETTE)]


def grid_points(lo, hi, n: int = GRID_SIZE) -> np.ndarray:
    """An n x n grid of points covering the box [lo, hi], float32 [n*n, 2]."""
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)


def latent_map(mp: LatentMap, labels: np.ndarray, index: np.ndarray, class_names, *,
               click=None, path=None, path_at=None, endpoints=None, ringed=None,
               height: int = 640) -> go.Figure:
    """The scatter of test codes on ``mp``, coloured by class, with the clickable grid beneath.

    click: (x, y) of the last click, drawn as a cross. path: [T, 2] interpolation path on the map,
    path_at: (x, y) of the slider's position on it. endpoints: {"A": (x, y), "B": (x, y)}.
    ringed: [P, 2] points to circle (the neighbours behind an estimated code).
    Trace order (curve numbers) is: grid, one trace per class in sorted class order, overlays.
    Every trace is WebGL: Plotly draws WebGL above SVG, so an SVG overlay would hide under the dots.
    """
    lo, hi = mp.view_box()
    grid = grid_points(lo, hi)
    fig = go.Figure()
    fig.add_trace(go.Scattergl(
        x=grid[:, 0], y=grid[:, 1], mode="markers", name="plane", showlegend=False,
        marker=dict(size=8, opacity=0, color="#888"),
        selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)),
        hoverinfo="none",
    ))
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        fig.add_trace(go.Scattergl(
            x=mp.xy[members, 0], y=mp.xy[members, 1], mode="markers", name=str(class_names[c]),
            marker=dict(size=4, opacity=0.7, color=class_colour(int(c))),
            selected=dict(marker=dict(opacity=0.7)), unselected=dict(marker=dict(opacity=0.7)),
            customdata=index[members],
            hovertemplate=f"{class_names[c]}<br>test image #%{{customdata}}<extra></extra>",
        ))
    if path is not None:
        fig.add_trace(go.Scattergl(
            x=path[:, 0], y=path[:, 1], mode="lines", name="interpolation path", showlegend=False,
            line=dict(color="#222", width=3, dash="dot"), hoverinfo="skip",
        ))
    for label, xy in (endpoints or {}).items():
        fig.add_trace(go.Scattergl(
            x=[xy[0]], y=[xy[1]], mode="markers+text", text=[label], textposition="top center",
            marker=dict(size=14, color="white", line=dict(color="#222", width=2)),
            textfont=dict(size=16, color="#222"), name=f"endpoint {label}", showlegend=False,
            hoverinfo="skip",
        ))
    if ringed is not None and len(ringed):
        fig.add_trace(go.Scattergl(
            x=ringed[:, 0], y=ringed[:, 1], mode="markers", name="neighbours used", showlegend=False,
            marker=dict(size=11, color="rgba(0,0,0,0)", line=dict(color="#D00", width=2)),
            hoverinfo="skip",
        ))
    if path_at is not None:
        fig.add_trace(go.Scattergl(
            x=[path_at[0]], y=[path_at[1]], mode="markers", name="slider position", showlegend=False,
            marker=dict(size=13, color="#222", symbol="diamond"), hoverinfo="skip",
        ))
    if click is not None:
        fig.add_trace(go.Scattergl(
            x=[click[0]], y=[click[1]], mode="markers", name="your click", showlegend=False,
            marker=dict(size=16, color="#D00", symbol="x-thin", line=dict(width=3, color="#D00")),
            hoverinfo="skip",
        ))
    x_title, y_title = mp.axis_titles
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), hovermode="closest",
        clickmode="event+select", dragmode="zoom", uirevision=mp.method,
        legend=dict(title="click a class to hide it:", itemsizing="constant", orientation="h",
                    yanchor="top", y=-0.1, xanchor="left", x=0),
        # One unit has the same length on both axes, as on a real plane. "domain" shrinks the plot
        # area rather than widening a range, so the clickable grid covers all that is visible.
        xaxis=dict(title=x_title, range=[lo[0], hi[0]], zeroline=False, constrain="domain"),
        yaxis=dict(title=y_title, range=[lo[1], hi[1]], zeroline=False, constrain="domain",
                   scaleanchor="x", scaleratio=1),
    )
    return fig


def clicked_point(selection, mp: LatentMap, labels: np.ndarray):
    """The point of the map a Plotly selection event reports, or None if it reports no click.

    A click on a test point gives that point's own position (so the page knows the test image);
    a click elsewhere lands on the invisible grid and gives that spot. Lives here because it
    reads the trace order that ``latent_map`` decides. Anything malformed or stale (a selection
    from another map) gives None.
    """
    try:
        points = ((selection or {}).get("selection") or {}).get("points") or []
        if not points:
            return None
        p = points[0]
        curve, k = int(p.get("curve_number", -1)), int(p.get("point_index", -1))
        if curve == GRID_CURVE:
            xy = (float(p["x"]), float(p["y"]))
            return xy if np.isfinite(xy).all() else None
        cls = class_of_curve(curve, labels)
        if cls is None:
            return None
        rows = np.flatnonzero(labels == cls)
        if not 0 <= k < len(rows):
            return None
        x, y = mp.xy[rows[k]]
        return (float(x), float(y))
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def class_of_curve(curve_number: int, labels: np.ndarray) -> int | None:
    """The class a clicked curve belongs to, or None for the grid and the overlays."""
    classes = np.unique(labels)
    k = curve_number - GRID_CURVE - 1
    return int(classes[k]) if 0 <= k < len(classes) else None


def error_histogram(errors, own=None, threshold: float | None = None, own_names=()) -> go.Figure:
    """Histogram of reconstruction errors; with ``own`` (bool per image), the model's own classes
    and the others as two overlaid histograms; the threshold as a vertical line. The bins run to
    the worst error, so the images a page lists as the worst are on the chart; they are 80 to the
    99.9th percentile, so a few far outliers widen the axis without coarsening the bulk."""
    errors = np.asarray(errors)
    size = float(np.quantile(errors, 0.999)) / 80
    worst = float(errors.max())
    bins = dict(start=0.0, end=worst, size=size)  # Plotly adds bins of ``size`` until one holds ``end``
    fig = go.Figure()
    if own is None:
        fig.add_histogram(x=errors, xbins=bins, name="test images", marker_color="#4C78A8")
    else:
        fig.add_histogram(x=errors[own], xbins=bins, name=f"its own ({', '.join(own_names)})", marker_color="#4C78A8",
                          opacity=0.7, histnorm="percent")
        fig.add_histogram(x=errors[~own], xbins=bins, name="the other digits", marker_color="#E45756",
                          opacity=0.7, histnorm="percent")
        fig.update_layout(barmode="overlay")
    if threshold is not None:
        fig.add_vline(x=threshold, line_dash="dash", line_color="#222", annotation_text="threshold")
    fig.update_xaxes(range=[0.0, worst + size])
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title=f"reconstruction error per pixel (the worst: {worst:.3f})",
                      yaxis_title="% of images" if own is not None else "images", legend=dict(orientation="h", y=1.15))
    return fig


# --------------------------------------------------------------------------------------------
# The lessons' charts

def bottleneck_curve(models: dict) -> go.Figure:
    """Test error against the code size k ({k: model}), the autoencoders' beside PCA's."""
    ks = sorted(models)
    ae = [models[k].metrics.get("test_mse") for k in ks]
    linear = [models[k].metrics.get("pca_test_mse") for k in ks]
    fig = go.Figure()
    fig.add_scatter(x=ks, y=linear, name="PCA (linear)", mode="lines+markers", line=dict(color="#888", dash="dash"))
    fig.add_scatter(x=ks, y=ae, name="autoencoder", mode="lines+markers", line=dict(color="#1f77b4", width=3))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=50, b=10), legend=dict(x=0.6, y=0.95),
                      title="Test error against the size of the code")
    # every k its own tick, kept short and level so none is dropped at a projector's width
    fig.update_xaxes(type="log", tickvals=ks, ticktext=[f"k={k}" for k in ks], tickangle=0,
                     title="numbers in the code, k (of d = 784 pixels)")
    fig.update_yaxes(title="MSE per pixel", rangemode="tozero")  # short: it stands beside the title at 20 px
    return fig


def class_scatter(xy: np.ndarray, labels: np.ndarray, index: np.ndarray, class_names, title: str, axes: tuple[str, str],
                  chosen: int | None) -> go.Figure:
    """Points coloured by class with a legend (AE against PCA), the ``chosen`` test image ringed above
    the dots; each point carries its test index for a click."""
    fig = go.Figure()
    for c in np.unique(labels):
        rows = labels == c
        fig.add_scattergl(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=class_names[c],
                          customdata=index[rows], marker=dict(size=3, color=class_colour(int(c)), opacity=0.7),
                          hovertemplate=f"{class_names[c]}, test image #%{{customdata}}<extra></extra>")
    if chosen is not None:  # a WebGL trace too, drawn after the dots: WebGL draws above SVG traces
        row = int(np.flatnonzero(index == chosen)[0])
        fig.add_scattergl(x=[xy[row, 0]], y=[xy[row, 1]], mode="markers", name="chosen", hoverinfo="skip",
                          showlegend=False,
                          marker=dict(size=22, color="rgba(0,0,0,0)", line=dict(color="black", width=3)))
    # the legend under the axis title, clear of it at any text size
    fig.update_layout(title=title, height=430, margin=dict(l=10, r=10, t=40, b=10), showlegend=True,
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, itemsizing="constant", title="digit:"),
                      clickmode="event+select", dragmode="pan")
    # the middle 99% of the points fill the view (a few far-flung codes would squeeze the rest)
    lo, hi = np.quantile(xy, 0.005, axis=0), np.quantile(xy, 0.995, axis=0)
    margin = (hi - lo) * 0.05
    fig.update_xaxes(title=axes[0], zeroline=False, range=[lo[0] - margin[0], hi[0] + margin[0]])
    fig.update_yaxes(title=axes[1], zeroline=False, range=[lo[1] - margin[1], hi[1] + margin[1]])
    return fig


def posterior_plane(model, mean, sd, z) -> go.Figure:
    """A VAE's 2-D plane: its test codes, the prior's 1-3 sigma circles, one posterior's 1- and
    2-sigma ellipses and its mean, and the code z drawn from it."""
    fig = go.Figure()
    lat = model.latents
    fig.add_scattergl(x=lat.codes[:, 0], y=lat.codes[:, 1], mode="markers", hoverinfo="skip",
                      marker=dict(size=3, color=[class_colour(int(c)) for c in lat.labels], opacity=0.25))
    for k in (1, 2, 3):
        ring = posterior.ellipse(np.zeros(2), np.ones(2), k)
        fig.add_scatter(x=ring[:, 0], y=ring[:, 1], mode="lines", hoverinfo="skip",
                        line=dict(color="#777", dash="dot", width=1))
    for k in (1, 2):
        ring = posterior.ellipse(mean, sd, k)
        fig.add_scatter(x=ring[:, 0], y=ring[:, 1], mode="lines", hoverinfo="skip", line=dict(color="#d62728", width=2))
    fig.add_scatter(x=[mean[0]], y=[mean[1]], mode="markers", marker=dict(color="#d62728", size=8), hoverinfo="skip")
    fig.add_scatter(x=[z[0]], y=[z[1]], mode="markers+text", text=["z"], textposition="top right",
                    marker=dict(color="black", size=12, symbol="x"), hoverinfo="skip")
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=10, b=10), showlegend=False, dragmode="pan")
    # a square plot in any width: the domain shrinks to fit, the axes keep the +-3.5 the prior needs
    fig.update_xaxes(range=[-3.5, 3.5], zeroline=False, title="z1", constrain="domain")
    fig.update_yaxes(range=[-3.5, 3.5], zeroline=False, scaleanchor="x", scaleratio=1, title="z2")
    return fig


def error_by_class(model, by_class: dict, threshold: float) -> go.Figure:
    """Each digit's mean reconstruction error, every digit labelled, the threshold as a line."""
    names = [model.class_names[int(c)] for c in by_class]
    fig = go.Figure(go.Bar(x=names, y=list(by_class.values()),
                           marker_color=[class_colour(int(c)) for c in by_class]))
    fig.add_hline(y=threshold, line_dash="dash", annotation_text="threshold", annotation_position="top left")
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=10),
                      title="Mean reconstruction error of each digit's test images")
    fig.update_xaxes(type="category", tickmode="array", tickvals=names, ticktext=names, title="digit")
    fig.update_yaxes(title="error per pixel")
    return fig


def unit_activity(activity, class_names) -> go.Figure:
    """Classes (rows) by code units (columns, in ``activity.order``): each class's mean value of each unit."""
    z = activity.means[:, activity.order]
    fig = go.Figure(go.Heatmap(z=z, x=[f"z{u + 1}" for u in activity.order],
                               y=[str(class_names[c]) for c in activity.classes],
                               colorscale="Greys" if z.min() >= 0 else "RdBu", zmid=None if z.min() >= 0 else 0,
                               colorbar=dict(title="mean"),
                               hovertemplate="class %{y}, unit %{x}: mean %{z:.3f}<extra></extra>"))
    fig.update_layout(height=330, margin=dict(l=10, r=10, t=10, b=10))
    fig.update_xaxes(title="code unit", type="category", showticklabels=len(activity.order) <= 32)
    fig.update_yaxes(title="class", type="category", autorange="reversed")
    return fig


def row_error_curve(errors: dict, n_images: int) -> go.Figure:
    """Each row's reconstruction error over ``n_images`` test images, top to bottom ({name: float [H]}),
    one line a model."""
    fig = go.Figure()
    for (name, e), colour in zip(errors.items(), ("#D00", "#1f77b4", "#888")):
        fig.add_scatter(x=np.arange(1, len(e) + 1), y=e, name=name, mode="lines+markers", line=dict(color=colour, width=3))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=50, b=10), legend=dict(x=0.02, y=0.98),
                      title=f"Error of each row, over {n_images:,} test images")
    fig.update_xaxes(title="row (1: the top, written first)", dtick=3)
    fig.update_yaxes(title="MSE per pixel", rangemode="tozero")
    return fig


def probe_bars(probes, n: int, chance: float, bar_px: int = 17, text_px: int = 12) -> go.Figure:
    """Test accuracy of a linear classifier at ``n`` labels (explorer/teaching/frontend.Probe), one bar
    per source, best at the top: codes in red, the raw pixels in black, PCA in grey; the spread over
    the draws as error bars and chance as a dotted line. ``bar_px``: each bar's height with its gap."""
    from explorer.teaching.frontend import PCA, PIXELS

    at = sorted((p for p in probes if p.n == n), key=lambda p: p.accuracy)
    colour = ["#222" if p.source == PIXELS else "#999" if p.source.startswith(PCA) else "#D00" for p in at]
    names = ["raw pixels (784)" if p.source == PIXELS else f"PCA, {p.source[len(PCA):]} components"
             if p.source.startswith(PCA) else f"{p.source} ({p.features})" for p in at]
    fig = go.Figure(go.Bar(x=[p.accuracy for p in at], y=names, orientation="h", marker_color=colour,
                           error_x=dict(type="data", array=[p.spread for p in at], color="#555", thickness=1),
                           text=[f"{p.accuracy:.1%}" for p in at], textposition="inside", insidetextanchor="start",
                           textfont=dict(color="white", size=text_px)))
    fig.add_vline(x=chance, line=dict(color="#888", dash="dot"), annotation_text="chance",
                  annotation_position="bottom right")
    fig.update_yaxes(tickmode="array", tickvals=names, ticktext=names)  # every bar named, none skipped
    fig.update_layout(height=max(300, bar_px * len(at) + 110), margin=dict(l=10, r=10, t=40, b=10), showlegend=False,
                      bargap=0.15,
                      title=f"Test accuracy of a linear classifier from {n:,} labelled images")
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="share of the test images read right")
    return fig
