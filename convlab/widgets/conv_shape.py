"""ConvShapeExplorer (notebook 01): output size of a convolution, every window position drawn."""

from functools import partial

import ipywidgets as widgets
from matplotlib.patches import Rectangle

from convlab.plotting import grid_axes, new_figure
from convlab.widgets.base import LessonWidget, int_control
from helpers import check_int, conv_output_shape


def draw_conv_windows(input_size, kernel_size, padding, stride, output_size, window):
    """Draw the padded input grid with every window position and, when the kernel fits
    (``output_size`` is not None), the output grid.

    Padding cells are grey, every window is outlined lightly with a dot at its centre, window number
    ``window`` (row-major) is drawn thick in red and its output cell is red too; hatched cells are
    never covered by a window (the floor in the formula drops them). Returns the figure.
    """
    n, k, p, s, out = input_size, kernel_size, padding, stride, output_size or 0
    size = n + 2 * p
    covered = (out - 1) * s + k if out else 0  # rows/columns reached by some window
    cells = max(size, k)  # both panels share this scale, so cells match in size
    width = 4.2 * (1 + out / cells) + 0.8 if out else 4.6
    ratios = [size, out] if out else [1]
    fig, axes = new_figure(
        (width, 4.6), ncols=2 if out else 1, squeeze=False, gridspec_kw={"width_ratios": ratios}
    )
    ax = axes[0, 0]
    for r in range(size):
        for c in range(size):
            is_padding = not (p <= r < p + n and p <= c < p + n)
            ax.add_patch(
                Rectangle(
                    (c, r),
                    1,
                    1,
                    facecolor="#c8c8c8" if is_padding else "white",
                    edgecolor="#888888",
                    linewidth=0.8,
                    hatch="//" if out and max(r, c) >= covered else None,
                )
            )
    for i in range(out):
        for j in range(out):
            ax.add_patch(
                Rectangle(
                    (j * s, i * s), k, k, fill=False, edgecolor="#1f77b4", linewidth=1, alpha=0.35
                )
            )
            ax.plot(j * s + k / 2, i * s + k / 2, "o", color="#1f77b4", markersize=4, alpha=0.7)
    padding_note = " (grey: padding)" if p else ""
    if out:
        i, j = divmod(window, out)
        ax.add_patch(Rectangle((j * s, i * s), k, k, facecolor="#d62728", alpha=0.15))
        ax.add_patch(Rectangle((j * s, i * s), k, k, fill=False, edgecolor="#d62728", linewidth=3))
        ax.set_title(
            f"padded input {size}×{size}{padding_note}\n{k}×{k} window {window + 1} "
            f"of {out * out}, stride {s}",
            fontsize=12,
        )
    else:
        ax.add_patch(
            Rectangle((0, 0), k, k, fill=False, edgecolor="#d62728", linewidth=3, linestyle="--")
        )
        ax.set_title(
            f"padded input {size}×{size}{padding_note}\na {k}×{k} kernel does not fit", fontsize=12
        )
    grid_axes(ax, size if out else cells, cells)
    if out:
        ax = axes[0, 1]
        for r in range(out):
            for c in range(out):
                colour = "#f4a6a6" if (r, c) == (i, j) else "white"
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=colour, edgecolor="#444444"))
        ax.set_title(f"output {out}×{out}", fontsize=12)
        grid_axes(ax, out, cells)
        notes = ["dots: window centres"] + (["hatched: never covered"] if covered < size else [])
        fig.supxlabel(";  ".join(notes), fontsize=11)
    fig.tight_layout()
    return fig


class ConvShapeExplorer(LessonWidget):
    """Sliders for input size n, kernel size k, padding p and stride s (square, one channel).

    Shows the output size floor((n + 2p − k) / s) + 1 computed by ``conv_output_shape`` with the
    formula worked out, and a drawing of the padded input with every window position. A fifth
    slider steps the highlighted window through the positions. Display the object as the last
    expression of a cell.

    Computed state (updated on every change): ``output_size`` (int, or None when the kernel does
    not fit), ``shape_text`` (the worked formula, "" when invalid), ``message`` (why the setting is
    invalid, "" when valid), ``drawing_png`` (PNG bytes of the drawing, also in ``drawing.value``).
    """

    LIMITS = {"input_size": (1, 12), "kernel_size": (1, 7), "padding": (0, 3), "stride": (1, 4)}

    def __init__(self, input_size=8, kernel_size=3, padding=1, stride=2):
        values = (input_size, kernel_size, padding, stride)
        for (name, (low, high)), value in zip(self.LIMITS.items(), values):
            check_int(name, value, low, high)
        super().__init__("shape")

        slider = partial(
            int_control, widgets.IntSlider, label_width="110px", continuous_update=False
        )
        limits = self.LIMITS
        self.input_size = slider("input n", input_size, limits["input_size"], "shape-input")
        self.kernel_size = slider("kernel k", kernel_size, limits["kernel_size"], "shape-kernel")
        self.padding = slider("padding p", padding, limits["padding"], "shape-padding")
        self.stride = slider("stride s", stride, limits["stride"], "shape-stride")
        self.window = slider("window position", 0, (0, 0), "shape-window")
        self.output_text = widgets.HTML()
        self.output_text.add_class("shape-output")
        # The drawing fills the rest of the row up to its natural width (so it is never blown
        # up); below 480 px it wraps under the controls instead of shrinking further.
        self.drawing = widgets.Image(
            format="png",
            layout=widgets.Layout(
                flex="1 1 480px", min_width="480px", height="auto", object_fit="contain"
            ),
        )
        self.drawing.add_class("shape-drawing")
        sliders = [self.input_size, self.kernel_size, self.padding, self.stride, self.window]
        controls = widgets.VBox(
            [*sliders, self.output_text, self.message_html], layout=widgets.Layout(width="380px")
        )
        self.ui = widgets.HBox(
            [controls, self.drawing],
            layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"),
        )
        for control in (self.input_size, self.kernel_size, self.padding, self.stride):
            control.observe(self._on_shape_change, names="value")
        self.window.observe(self._on_window_change, names="value")
        self.output_size = None
        self.shape_text = ""
        self.drawing_png = b""
        self._on_shape_change()

    def _on_shape_change(self, change=None):
        n, k, p, s = (
            c.value for c in (self.input_size, self.kernel_size, self.padding, self.stride)
        )
        try:
            self.output_size = conv_output_shape(n, k, p, s)
        except ValueError:
            self.output_size = None
            self.shape_text = self.output_text.value = ""
            self.message = (
                f"The {k}×{k} kernel is larger than the padded input "
                f"{n} + 2·{p} = {n + 2 * p}: make the kernel smaller or add padding."
            )
        else:
            formula = f"output size = floor(({n} + 2·{p} − {k}) / {s}) + 1"
            worked = f"= floor({n + 2 * p - k} / {s}) + 1 = {self.output_size}"
            self.shape_text = f"{formula} {worked}"
            self.output_text.value = f"<b>{formula}<br>{worked}</b>"
            self.message = ""
        # Lowering max may clamp the window value and fire _on_window_change: draw once, below.
        with self.quietly():
            self.window.max = (self.output_size or 1) ** 2 - 1
        self.window.disabled = self.output_size is None
        self._redraw()

    def _on_window_change(self, change):
        if not self.busy:
            self._redraw()

    def _redraw(self):
        fig = draw_conv_windows(
            self.input_size.value,
            self.kernel_size.value,
            self.padding.value,
            self.stride.value,
            self.output_size,
            self.window.value,
        )
        self.drawing_png = self.show_figure(self.drawing, fig, cap_width=True)
