"""PoolingExplorer (notebook 04): window, stride, padding and mode of ``pool2d`` on an image."""

from functools import partial

import ipywidgets as widgets
import torch
from matplotlib.patches import Rectangle

from convlab.plotting import new_figure, show_values
from convlab.widgets.base import LessonWidget, int_control
from helpers import check_choice, check_int, check_tensor, edge_image, pool2d

MODES = ("max", "avg")


def check_named_images(images):
    """Turn ``images`` (a dict name → h×w or 1×h×w tensor) into a dict name → h×w tensor."""
    if not isinstance(images, dict):
        raise TypeError(
            f"images must be a dict mapping names to h×w tensors, got {type(images).__name__}"
        )
    if not images:
        raise ValueError("images must be a non-empty dict mapping names to h×w tensors, got {}")
    checked = {}
    for name, image in images.items():
        check_tensor(f"images[{name!r}]", image, (2, 3), "h×w or 1×h×w")
        if image.dim() == 3 and image.shape[0] != 1:
            raise ValueError(
                f"images[{name!r}] must be one grey-scale image (h×w or 1×h×w), "
                f"got shape {tuple(image.shape)}"
            )
        checked[str(name)] = image.detach().cpu().reshape(image.shape[-2:])
    return checked


def draw_pooling(image, pooled, window, stride, padding, mode):
    """Draw the input with its padding and first two windows next to the pooled output.

    image: h×w; pooled: h'×w', or None when the setting is invalid. Padding cells are tan (holding
    −∞ for max pooling, 0 for average pooling), the first window is red and its output cell is
    framed red; the window one stride to the right is dashed blue. Values are written in the cells
    of small maps. Returns the matplotlib figure.
    """
    h, w = image.shape
    k, s, q = window, stride, padding
    ratio = [w + 2 * q, max(pooled.shape[1], 1) if pooled is not None else max(w // 2, 1)]
    fig, (ax_in, ax_out) = new_figure((8, 3.6), ncols=2, gridspec_kw={"width_ratios": ratio})
    values = image if pooled is None else torch.cat([image.flatten(), pooled.flatten()])
    low = min(values.min().item(), 0.0)  # average pooling mixes in zero padding
    high = max(values.max().item(), low + 1e-6)
    show_values(ax_in, image, low, high)
    ax_in.set_facecolor("#f2d7a0")  # what shows around the image is the padding
    ax_in.set_xlim(-q - 0.5, w + q - 0.5)
    ax_in.set_ylim(h + q - 0.5, -q - 0.5)
    ax_in.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, edgecolor="black", linewidth=1))
    if q and (h + 2 * q) * (w + 2 * q) <= 150:
        pad_text = "−∞" if mode == "max" else "0"
        for i in range(-q, h + q):
            for j in range(-q, w + q):
                if not (0 <= i < h and 0 <= j < w):
                    ax_in.text(
                        j, i, pad_text, ha="center", va="center", fontsize=11, color="#7a5a1e"
                    )
    title = f"input {h}×{w}" + (f", padded to {h + 2 * q}×{w + 2 * q} (tan)" if q else "")
    ax_in.set_title(title, fontsize=13)
    if pooled is None:
        ax_out.text(0.5, 0.5, "no output:\nsee the message", ha="center", va="center", fontsize=11)
        ax_out.axis("off")
    else:
        corner = (-q - 0.5, -q - 0.5)
        ax_in.add_patch(
            Rectangle(corner, k, k, fill=False, edgecolor="#d62728", linewidth=3, clip_on=False)
        )
        if pooled.shape[1] > 1:
            ax_in.add_patch(
                Rectangle(
                    (corner[0] + s, corner[1]),
                    k,
                    k,
                    fill=False,
                    edgecolor="#1f77b4",
                    linewidth=2,
                    linestyle="--",
                    clip_on=False,
                )
            )
        show_values(ax_out, pooled, low, high)
        ax_out.add_patch(
            Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="#d62728", linewidth=3)
        )
        ax_out.set_title(f"{mode} pooled {pooled.shape[0]}×{pooled.shape[1]}", fontsize=13)
    fig.tight_layout()
    return fig


class PoolingExplorer(LessonWidget):
    """Controls for the window size, stride, padding and mode (max/avg) of ``pool2d`` on an image.

    images: dict name → h×w (or 1×h×w) grey-scale tensor, shown in a drop-down; default the 6×8
    ``edge_image()``. Shows the input (padding tan, first window red, next window dashed blue) and
    the pooled output with their shapes. Display the object as the last expression of a cell.

    Computed state (updated on every change): ``pooled`` (h'×w' tensor, or None when the setting
    is invalid), ``shape_text`` ("input h×w → max pooled h'×w'", "" when invalid), ``message``
    (pool2d's reason the setting is invalid, "" when valid), ``output_png`` (PNG bytes, also in
    ``output.value``).
    """

    MAX_POOL_SIZE, MAX_STRIDE, MAX_PADDING = 8, 8, 4

    def __init__(self, images=None, pool_size=2, stride=2, padding=0, mode="max"):
        self.images = check_named_images({"edge image": edge_image()} if images is None else images)
        check_int("pool_size", pool_size, 1, self.MAX_POOL_SIZE)
        check_int("stride", stride, 1, self.MAX_STRIDE)
        check_int("padding", padding, 0, self.MAX_PADDING)
        check_choice("mode", mode, MODES)
        super().__init__("pool")

        int_box = partial(int_control, widgets.BoundedIntText, label_width="70px", width="150px")
        self.image = widgets.Dropdown(
            options=list(self.images),
            description="image",
            style={"description_width": "60px"},
            layout=widgets.Layout(width="320px"),
        )
        self.image.add_class("pool-image")
        self.pool_size = int_box("pool size", pool_size, (1, self.MAX_POOL_SIZE), "pool-size")
        self.stride = int_box("stride", stride, (1, self.MAX_STRIDE), "pool-stride")
        self.padding = int_box("padding", padding, (0, self.MAX_PADDING), "pool-padding")
        # No description: ToggleButtons puts it on a line of its own above the buttons.
        self.mode = widgets.ToggleButtons(
            options=list(MODES),
            value=mode,
            tooltips=["max pooling", "average pooling"],
            style={"button_width": "60px"},
        )
        self.mode.add_class("pool-mode")
        self.shape_html = widgets.HTML()
        self.shape_html.add_class("pool-shape")
        self.output = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", height="auto")
        )
        self.output.add_class("pool-output")
        # Controls in rows above the picture: the two-panel picture needs the notebook's width.
        row = widgets.HBox([self.pool_size, self.stride, self.padding, self.mode])
        self.ui = widgets.VBox([self.image, row, self.shape_html, self.message_html, self.output])
        self.pooled = None
        self.shape_text = ""
        self.output_png = b""
        for control in (self.image, self.pool_size, self.stride, self.padding, self.mode):
            control.observe(self._update, names="value")
        self._update()

    def _update(self, change=None):
        image = self.images[self.image.value]
        k, s, q, mode = self.pool_size.value, self.stride.value, self.padding.value, self.mode.value
        try:
            self.pooled = pool2d(image, k, mode=mode, stride=s, padding=q)
        except ValueError as error:  # padding over half the window, or a window too large
            self.pooled = None
            self.shape_text = ""
            self.message = str(error)
        else:
            h, w = image.shape
            self.shape_text = (
                f"input {h}×{w} → {mode} pooled {self.pooled.shape[0]}×{self.pooled.shape[1]}"
            )
            self.message = ""
        self.shape_html.value = f"<b>{self.shape_text}</b>" if self.shape_text else ""
        self.output_png = self.show_figure(
            self.output, draw_pooling(image, self.pooled, k, s, q, mode)
        )
