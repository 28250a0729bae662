"""Draw the lesson figures into figures/ (`make figures`, or `python figures/make_figures.py`).

Every number in a figure is computed by the project's own helpers, so a figure cannot disagree
with the lesson that links it. This script is the only thing that writes into figures/: notebooks
show their computed pictures inline and never write tracked files.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Rectangle

import helpers
from convlab.plotting import WINDOW_COLOURS, draw_matrix

FIGURES = Path(__file__).resolve().parent


def draw_symbol(ax, x, y, symbol):
    ax.text(x, y, symbol, ha="center", va="center", fontsize=24)


def caption(ax, x, y, text, fontsize):
    """A line under a figure, in the colour of the first window, which it works out."""
    ax.text(x, y, text, ha="center", fontsize=fontsize, color=WINDOW_COLOURS[0])


def new_canvas(width, height):
    fig, ax = plt.subplots(figsize=(width * 0.62, height * 0.62))
    ax.set_xlim(-0.2, width)
    ax.set_ylim(height, -0.2)  # y grows downwards, like matrix rows
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def save(fig, name):
    fig.savefig(FIGURES / name, dpi=150, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    print("wrote", FIGURES / name)


def cross_correlation_figure():
    """The worked example of notebook 01 with the first window and its output highlighted."""
    X = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    K = torch.tensor([[1.0, 2], [3, 4]])
    Y = helpers.corr2d(X, K)
    fig, ax = new_canvas(13, 5.2)
    draw_matrix(ax, X, 0, 1, "Input X", highlight=(0, 0, 2, 2))
    draw_symbol(ax, 3.9, 2.5, "⋆")
    draw_matrix(ax, K, 4.8, 1.5, "Kernel K", highlight=(0, 0, 2, 2))
    draw_symbol(ax, 7.7, 2.5, "=")
    draw_matrix(ax, Y, 8.6, 1.5, "Output Y", highlight=(0, 0, 1, 1))
    terms = " + ".join(
        f"{x:g}·{k:g}" for x, k in zip(X[:2, :2].flatten().tolist(), K.flatten().tolist())
    )
    caption(ax, 6.3, 4.7, f"{terms} = {Y[0, 0].item():g}", fontsize=14)
    save(fig, "cross_correlation.png")


def multichannel_figure():
    """Two input channels, each cross-correlated with its own kernel slice, summed."""
    X = torch.tensor([[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]])
    K = torch.tensor([[[0.0, 1], [2, 3]], [[1.0, 2], [3, 4]]])
    Y = helpers.corr2d_multi_in(X, K)
    fig, ax = new_canvas(13, 9.5)
    for channel, y0 in enumerate((1, 5.5)):
        draw_matrix(ax, X[channel], 0, y0, f"Input channel {channel}", highlight=(0, 0, 2, 2))
        draw_symbol(ax, 3.9, y0 + 1.5, "⋆")
        draw_matrix(
            ax,
            K[channel],
            4.8,
            y0 + 0.5,
            f"Kernel channel {channel}",
            highlight=(0, 0, 2, 2),
        )
    draw_symbol(ax, 5.8, 4.9, "+")
    draw_symbol(ax, 8.0, 4.9, "=")
    draw_matrix(ax, Y, 9.0, 3.9, "Output", highlight=(0, 0, 1, 1))
    first = [
        f"{x:g}·{k:g}"
        for c in range(2)
        for x, k in zip(X[c, :2, :2].flatten().tolist(), K[c].flatten().tolist())
    ]
    sums = f"({' + '.join(first[:4])}) + ({' + '.join(first[4:])})"
    caption(ax, 6.5, 9.3, f"{sums} = {Y[0, 0].item():g}", fontsize=11.5)
    save(fig, "multichannel_convolution.png")


def max_pooling_figure():
    """2×2 max pooling, stride 2: each window and its maximum in a colour of their own."""
    X = torch.tensor([[1.0, 3, 2, 1], [4, 6, 5, 0], [7, 2, 9, 8], [3, 1, 4, 6]])
    Y = helpers.pool2d(X, 2)
    fig, ax = new_canvas(9.5, 5.6)
    draw_matrix(ax, X, 0, 1, "Input 4×4")
    draw_matrix(ax, Y, 6.5, 2, "2×2 max pooling")
    for colour, (r, c) in zip(WINDOW_COLOURS, [(0, 0), (0, 2), (2, 0), (2, 2)]):
        ax.add_patch(
            Rectangle((c, 1 + r), 2, 2, facecolor=colour, alpha=0.22, edgecolor=colour, lw=3)
        )
        ax.add_patch(
            Rectangle(
                (6.5 + c // 2, 2 + r // 2),
                1,
                1,
                facecolor=colour,
                alpha=0.3,
                edgecolor=colour,
                lw=3,
            )
        )
    draw_symbol(ax, 5.2, 3.0, "→")
    ax.text(
        4.75,
        5.45,
        "each output is the largest value in its window (stride 2: windows do not overlap)",
        ha="center",
        fontsize=10.5,
    )
    save(fig, "max_pooling.png")


if __name__ == "__main__":
    cross_correlation_figure()
    multichannel_figure()
    max_pooling_figure()
