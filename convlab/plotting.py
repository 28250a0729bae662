"""Pictures for the lessons: image grids, heat-maps, matrices drawn as numbered cells, networks.

Every function returns the matplotlib figure or axes it drew on; ``figure_png`` turns a figure into
PNG bytes for an ``ipywidgets.Image``. ``write_values`` is the one place that writes numbers into
the cells of a picture (heat-maps, the widgets, the lesson figures).
"""

import io

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from convlab.language import N_, _

# Colours that tell windows apart: one per window in the lesson figures, red for "the current one".
WINDOW_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
BLUE, RED = WINDOW_COLOURS[0], WINDOW_COLOURS[3]
# Signed values (kernels, feature maps): blue negative, red positive, white zero. ColorBrewer lists
# RdBu as colour-blind safe; tests/test_colour_vision.py simulates the common deficiencies.
SIGNED_CMAP = "RdBu_r"


def new_figure(figsize, **subplots):
    """``plt.subplots``: a figure that ``plt.show()`` displays in a notebook."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize, **subplots)


def figure_png(fig):
    """Render a matplotlib figure to PNG bytes and close it (an ``ipywidgets.Image`` redraws faster
    than an ``Output`` widget)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def write_values(ax, matrix, dark=None, fmt="{:.2g}", fontsize=11, x0=0.0, y0=0.0):
    """Write each value of a 2-D tensor in its cell; cells where ``dark(value)`` get white text
    (no ``dark``: every cell is light, every text black).

    Cell (i, j) is centred at (x0 + j, y0 + i), as ``imshow`` places pixels. Returns the texts.
    """
    return [
        ax.text(
            x0 + j,
            y0 + i,
            fmt.format(v),
            ha="center",
            va="center",
            fontsize=fontsize,
            color="white" if dark is not None and dark(v) else "black",
        )
        for i, row in enumerate(matrix.tolist())
        for j, v in enumerate(row)
    ]


def show_images(images, titles=None, ncols=8, scale=1.4, cmap="gray"):
    """Show a grid of grey-scale images with optional titles.

    images: n×h×w or n×1×h×w tensor (or a list of h×w tensors); titles: n strings or None.
    Returns the matplotlib figure.
    """
    images = [img.detach().cpu().squeeze() for img in images]
    if not images:
        raise ValueError(_("images must hold at least one image, got none"))
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            _(
                "titles must have one entry per image: got {titles} titles for {images} images"
            ).format(titles=len(titles), images=len(images))
        )
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = new_figure(
        (scale * ncols, scale * nrows * 1.15), nrows=nrows, ncols=ncols, squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, img) in enumerate(zip(axes.flat, images)):
        ax.imshow(img.numpy(), cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def show_heatmap(matrix, title=None, ax=None, annotate=False):
    """Show a 2-D tensor as a heat-map: diverging colours centred on 0 (blue < 0 < red), colour bar.

    matrix: h×w tensor. ``annotate=True`` writes each value in its cell (for small matrices).
    Returns the matplotlib axes.
    """
    if not isinstance(matrix, torch.Tensor):
        raise TypeError(
            _("matrix must be a torch.Tensor (h×w), got {type}").format(type=type(matrix).__name__)
        )
    if matrix.dim() != 2:
        raise ValueError(
            _("matrix must be a 2-D tensor (h×w), got shape {shape}").format(
                shape=tuple(matrix.shape)
            )
        )
    values = matrix.detach().cpu().float()
    limit = max(values.abs().max().item(), 1e-12)  # symmetric limits put 0 at the centre colour
    if ax is None:
        size = (max(3, values.shape[1] * 0.5), max(2.5, values.shape[0] * 0.45))
        ax = new_figure(size)[1]
    image = ax.imshow(values.numpy(), cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if annotate:
        write_values(ax, values, dark=lambda v: abs(v) > 0.6 * limit, fmt="{:.3g}", fontsize=8)
    if title:
        ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def show_values(ax, matrix, low, high):
    """Grey-scale image of a 2-D tensor on a fixed colour range, values written in when small."""
    ax.imshow(matrix.detach().numpy(), cmap="gray", vmin=low, vmax=high)
    if matrix.numel() <= 100:
        write_values(ax, matrix, dark=lambda v: v <= (low + high) / 2)
    ax.set_xticks([])
    ax.set_yticks([])


def grid_axes(ax, width, height):
    """Axes showing ``width`` cells across and ``height`` cells down, row 0 at the top, no ticks."""
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(height + 0.1, -0.1)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_matrix(ax, values, x0, y0, title, highlight=None, colour=WINDOW_COLOURS[0]):
    """Draw a matrix as numbered unit cells with its top-left corner at (x0, y0), y down.

    highlight: (row, col, height, width) block to fill and outline in ``colour``.
    """
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(Rectangle((x0 + j, y0 + i), 1, 1, facecolor="white", edgecolor="#555"))
    write_values(
        ax, values, dark=lambda v: False, fmt="{:g}", fontsize=15, x0=x0 + 0.5, y0=y0 + 0.5
    )
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(
            Rectangle((x0 + c, y0 + r), w, h, facecolor=colour, alpha=0.25, edgecolor=colour, lw=3)
        )
    ax.text(x0 + cols / 2, y0 - 0.35, title, ha="center", va="bottom", fontsize=13, weight="bold")


def history_figure(history, epochs):
    """Two panels per epoch: training and test loss; training and test accuracy."""
    fig, (loss_ax, acc_ax) = new_figure((9, 3.2), ncols=2)
    loss_ax.plot(history["epoch"], history["train_loss"], "o-", label=_("train loss"))
    loss_ax.plot(history["epoch"], history["test_loss"], "s--", label=_("test loss"))
    acc_ax.plot(history["epoch"], history["train_acc"], "o-", label=_("train accuracy"))
    acc_ax.plot(history["epoch"], history["test_acc"], "s--", label=_("test accuracy"))
    for ax, name in ((loss_ax, _("cross-entropy")), (acc_ax, _("accuracy"))):
        ax.set(xlabel=_("epoch"), ylabel=name, xlim=(0.5, epochs + 0.5))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_history(history):
    """Plot a history returned by ``train``: loss and accuracy per epoch. Returns the figure."""
    return history_figure(history, max(history["epoch"], default=1))


# The runs' labels that benchmarks/time_to_accuracy.py writes into its results (its RUNS), marked
# here so that the plot shows them in the current language.
BENCHMARK_RUN_LABELS = (
    N_("d2l's loop on the notes' network"),
    N_("an earlier, slower recipe (batch 64, peak lr 0.15)"),
    N_("the lesson's recipe"),
    N_("a one-epoch recipe"),
)


def plot_time_to_accuracy(results):
    """Test accuracy against wall time, one line per run of ``benchmarks/time_to_accuracy.py``.

    results: the dict that script writes (its JSON file): ``runs`` (name → label, elapsed seconds
    and test accuracy per epoch) and ``targets`` ((key, accuracy) pairs, drawn as dashed lines).
    Returns the figure."""
    fig, ax = new_figure((8, 4))
    for run in results["runs"].values():
        ax.plot(run["elapsed"], run["test_acc"], marker="o", label=_(run["label"]))
    for key, target in results["targets"]:
        label = _("d2l's loop's final accuracy") if key == "d2l" else None
        ax.axhline(target, color="gray", linestyle="--" if key == "d2l" else ":", lw=1, label=label)
    ax.set(xlabel=_("wall time (s)"), ylabel=_("test accuracy"), ylim=(0.6, 0.92))
    ax.set_title(
        _("The notes' LeNet on Fashion-MNIST, {device}, {threads} thread(s)").format(
            device=results["device"], threads=results["threads"]
        )
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


LAYER_COLOURS = {
    "Conv2d": "#9ecae1",
    "AvgPool2d": "#c7e9c0",
    "MaxPool2d": "#c7e9c0",
    "Linear": "#fdd0a2",
    "Sigmoid": "#eeeeee",
    "ReLU": "#eeeeee",
}


def draw_architecture(net, input_shape=(1, 1, 28, 28), title=N_("LeNet (seed)")):
    """One box per layer of an ``nn.Sequential``, labelled with the layer and its output shape.

    The layers keep their PyTorch names; the title (shown translated when it is in the
    catalogue) and the input box follow the current language."""
    X, boxes = torch.zeros(input_shape), [(_("input"), tuple(input_shape[1:]))]
    with torch.no_grad():
        for layer in net:
            X = layer(X)
            boxes.append((type(layer).__name__, tuple(X.shape[1:])))
    fig, ax = new_figure((1.25 * len(boxes), 2.2))
    for i, (name, shape) in enumerate(boxes):
        x = i * 1.25
        ax.add_patch(
            Rectangle((x, 0), 1, 1, facecolor=LAYER_COLOURS.get(name, "white"), edgecolor="black")
        )
        ax.text(x + 0.5, 0.62, name, ha="center", va="center", fontsize=8, weight="bold")
        ax.text(x + 0.5, 0.3, "×".join(map(str, shape)), ha="center", va="center", fontsize=8)
        if i:
            ax.annotate("", xy=(x, 0.5), xytext=(x - 0.25, 0.5), arrowprops=dict(arrowstyle="->"))
    ax.set(
        xlim=(-0.1, 1.25 * len(boxes)),
        ylim=(-0.1, 1.1),
        title=_("{title}: layer → output shape").format(title=_(title)),
    )
    ax.axis("off")
    return fig


def rgba_png(rgba):
    """PNG bytes of an h×w×4 uint8 array."""
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="png", compress_level=3)
    return buffer.getvalue()


class BlittedFigure:
    """A picture whose still parts are rendered once; each ``png`` draws only the moving parts
    over a copy of that rendering (blitting), since writing many values is most of a picture's
    cost. Subclasses make ``self.fig`` with ``_new_figure``, draw, lay it out, then ``_freeze``.
    Not pyplot, so nothing keeps the figure globally or shows it as a cell's output.
    """

    DPI = 100

    def _new_figure(self, figsize):
        self.fig = Figure(figsize=figsize, dpi=self.DPI)
        self.canvas = FigureCanvasAgg(self.fig)

    def _freeze(self, moving):
        """Render all but the ``moving`` artists and keep that rendering."""
        self.moving = moving
        for artist in moving:
            artist.set_animated(True)  # left out of canvas.draw()
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.crop = self._tight_crop()

    def _tight_crop(self):
        """(top, bottom, left, right) pixel rows/columns around everything drawn, as
        ``bbox_inches="tight"`` crops, with a margin for texts whose width changes."""
        box = self.fig.get_tightbbox(self.canvas.get_renderer()).padded(0.1)
        height, width = self.canvas.get_width_height()[::-1]
        dpi = self.DPI
        left, right = max(0, int(box.x0 * dpi)), min(width, int(np.ceil(box.x1 * dpi)))
        top, bottom = max(0, int(height - box.y1 * dpi)), min(height, int(height - box.y0 * dpi))
        return top, bottom, left, right

    def _render(self):
        """PNG bytes: the kept rendering with the moving artists drawn where they are now."""
        self.canvas.restore_region(self.background)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        top, bottom, left, right = self.crop
        return rgba_png(np.asarray(self.canvas.buffer_rgba())[top:bottom, left:right])
