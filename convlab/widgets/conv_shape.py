"""ConvShapeExplorer (notebook 01): output size of a convolution, every window position drawn, and
the sum of products of each window worked out on a small example."""

import html
from functools import partial

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import Rectangle

from convlab.language import N_, _, ngettext
from convlab.plotting import BLUE, RED, BlittedFigure, grid_axes, write_values
from convlab.widgets.base import (
    PICTURE_FITS,
    LessonWidget,
    PictureWithAlt,
    int_control,
    linked_play,
)
from helpers import check_int, conv_output_shape

WRITE_ALL_PRODUCTS_UP_TO = 9  # a 3×3 kernel's sum is written in full; larger ones drop the zeros
# Every word of the explorer a learner reads or hears, in one place: English message ids,
# translated where they are shown (``_(TEXTS[...])``).
TEXTS = {
    "input_size": N_("input size n"),
    "kernel_size": N_("kernel size k"),
    "padding": N_("padding p"),
    "stride": N_("stride s"),
    "window": N_("window position"),
    "keys": N_(
        "Keys: Tab to a slider, arrows change it; Tab to Play, Enter or Space plays or pauses."
    ),
    "padded": N_("input {n}×{n} padded to {size}×{size}"),
    "unpadded": N_("input {n}×{n}"),
    "alt": N_(
        "{input}, every {k}×{k} window position outlined in blue, the current one outlined "
        "in red from row {top}, column {left}; output {out}×{out}, {sum}."
    ),
    "alt_no_fit": N_(
        "{input}, and a {k}×{k} kernel drawn dashed in red that does not fit in it: no output."
    ),
    "announce": N_("Window {number} of {count}: {sum}."),
    "announce_no_fit": N_("The {k}×{k} kernel does not fit: no output."),
    "no_fit": N_(
        "The {k}×{k} kernel is larger than the padded input {padded}: make the kernel "
        "smaller or add padding."
    ),
    "rings": N_("rings: window centres"),
    "weights": N_("small red numbers: kernel K"),
    "hatched": N_("hatched: never covered"),
    "padded_title": N_("padded input {size}×{size}"),
    "padding_note": N_("padded input {size}×{size} (grey: padding)"),
    "window_title": N_("{k}×{k} window {number} of {count}, stride {s}"),
    "no_fit_title": N_("a {k}×{k} kernel does not fit"),
    "output_title": N_("output Y {out}×{out}"),
    "formula": N_("output size = floor(({n} + 2·{p} − {k}) / {s}) + 1"),
    "state": N_("input {n}×{n}, kernel {k}×{k}, padding {p}, stride {s} → {result}"),
    "state_output": N_("output {out}×{out}"),
    "state_no_fit": N_("the kernel does not fit"),
    "settings": N_("input n = {n}, kernel k = {k}, padding p = {p}, stride s = {s}"),
}


def example_input(n):
    """The explorer's input X, n×n ints: 1, 2, …, 9, 1, 2, … row by row (for n = 3 the X of
    lesson 01's worked example). One digit each, so every value fits in its drawn cell."""
    return (torch.arange(n * n) % 9 + 1).reshape(n, n)


def example_kernel(k):
    """The explorer's kernel K, k×k ints: 1, 2, 3, 4, 1, 2, … row by row (for k = 2 the K of
    lesson 01's worked example, [[1, 2], [3, 4]])."""
    return (torch.arange(k * k) % 4 + 1).reshape(k, k)


def window_products(padded, K, row, col, stride):
    """The (input value, kernel value) pairs that output Y[row, col] sums, row by row.

    padded: the zero-padded input X, (n + 2p)×(n + 2p) ints; K: k×k ints  →  k·k pairs of ints.
    """
    k = K.shape[0]
    top, left = row * stride, col * stride
    window = padded[top : top + k, left : left + k]
    return list(zip(window.flatten().tolist(), K.flatten().tolist()))


def cross_correlate(padded, K, stride, out):
    """Y, out×out ints: each output is the sum of its window's products, the very numbers that
    ``written_sum`` writes out. padded: the zero-padded input; K: k×k ints."""
    return torch.tensor(
        [
            [sum(x * w for x, w in window_products(padded, K, i, j, stride)) for j in range(out)]
            for i in range(out)
        ]
    )


def written_sum(row, col, products):
    """'Y[1, 0] = 0·0 + 1·3 + 2·4 + 3·0 = 11' for the (input, kernel) value pairs of a window.

    Up to ``WRITE_ALL_PRODUCTS_UP_TO`` products are all written; a larger window (a 7×7 kernel has
    49) leaves out the products with zero padding and counts them, so the line stays shorter.
    """
    total = sum(x * w for x, w in products)
    if len(products) <= WRITE_ALL_PRODUCTS_UP_TO:
        terms = [f"{x}·{w}" for x, w in products]
    else:
        terms = [f"{x}·{w}" for x, w in products if x * w]
        zeros = len(products) - len(terms)
        if zeros:
            zero_products = ngettext(
                "({count} product that is 0)", "({count} products that are 0)", zeros
            )
            terms.append(zero_products.format(count=zeros))
    return f"Y[{row}, {col}] = {' + '.join(terms)} = {total}"


class ConvWindowsFigure(BlittedFigure):
    """The explorer's drawing of one setting: the padded input X with its values (padding grey,
    holding 0), every window position and, when the kernel fits, the output grid.

    Every window is outlined lightly with a ring at its centre; the current one is red, with the
    kernel's values written small in red in its cells' corners, and its output cell is red too.
    Outputs are written up to the current window (row-major), as the loop computes them; hatched
    cells are never covered by a window (the floor in the formula drops them).

    Built once per setting; ``png(window)`` then draws only what moves with the window (up to
    18×18 input values and 12×12 outputs stay in the kept rendering).
    """

    HEIGHT = 4.6  # inches

    def __init__(self, X, K, padding, stride, Y):
        """X: n×n ints, K: k×k ints, Y: out×out ints (None when the kernel does not fit)."""
        self.X, self.K, self.p, self.s, self.Y = X, K, padding, stride, Y
        n, k = X.shape[0], K.shape[0]
        self.size = n + 2 * padding
        self.out = 0 if Y is None else Y.shape[0]
        self.cells = max(self.size, k)  # both panels share this scale, so cells match in size
        self._build()
        self._freeze(self._add_current_window() if self.out else [])

    def _build(self):
        out = self.out
        width = 4.2 * (1 + out / self.cells) + 0.8 if out else 4.6
        self._new_figure((width, self.HEIGHT))
        ratios = [self.size, out] if out else [1]
        axes = self.fig.subplots(
            1, 2 if out else 1, squeeze=False, gridspec_kw={"width_ratios": ratios}
        )
        self.ax_in = axes[0, 0]
        self._draw_input_cells()
        if out:
            self.ax_out = axes[0, 1]
            self._draw_windows()
            self._write_legend()
            self._set_up_output_panel()
            self.ax_in.set_title(self._input_title(self.out**2 - 1), fontsize=12)  # the longest
        else:
            self._draw_kernel_that_does_not_fit()
        self.fig.tight_layout()
        # Text sizes follow the cell size that tight_layout left.
        self._write_input_values()
        if out:
            self._ring_window_centres()
            self._write_output_values()

    def _covered(self):
        """Rows/columns of the padded input that some window reaches."""
        return (self.out - 1) * self.s + self.K.shape[0] if self.out else 0

    def _is_padding(self, r, c):
        """Whether cell (r, c) of the padded input is padding."""
        n, p = self.X.shape[0], self.p
        return not (p <= r < p + n and p <= c < p + n)

    def _draw_input_cells(self):
        """Grey padding cells, white input cells, hatched where no window reaches. Collections,
        not one patch per cell: an 18×18 grid would cost hundreds of artists."""
        size, covered = self.size, self._covered()
        cells = [(r, c) for r in range(size) for c in range(size)]
        colours = ["#c8c8c8" if self._is_padding(r, c) else "white" for r, c in cells]
        squares = [Rectangle((c, r), 1, 1) for r, c in cells]
        grid = PatchCollection(squares, facecolors=colours, edgecolors="#888888", linewidths=0.8)
        self.ax_in.add_collection(grid)
        if self.out and covered < size:
            missed = [Rectangle((c, r), 1, 1) for r, c in cells if max(r, c) >= covered]
            self.ax_in.add_collection(
                PatchCollection(missed, facecolors="none", edgecolors="#888888", hatch="//", lw=0)
            )
        grid_axes(self.ax_in, size if self.out else self.cells, self.cells)

    def _draw_windows(self):
        k, s, out = self.K.shape[0], self.s, self.out
        outlines = [Rectangle((j * s, i * s), k, k) for i in range(out) for j in range(out)]
        self.ax_in.add_collection(
            PatchCollection(outlines, facecolors="none", edgecolors=BLUE, linewidths=1, alpha=0.35)
        )

    def _write_legend(self):
        notes = [_(TEXTS["rings"]), _(TEXTS["weights"])]
        if self._covered() < self.size:
            notes.append(_(TEXTS["hatched"]))
        self.fig.supxlabel(";  ".join(notes), fontsize=11)

    def _input_title(self, window=None):
        """'padded input 10×10 (grey: padding)', then which window is current or that none fits."""
        k = self.K.shape[0]
        first = _(TEXTS["padding_note" if self.p else "padded_title"]).format(size=self.size)
        if self.out:
            second = _(TEXTS["window_title"]).format(
                k=k, number=window + 1, count=self.out**2, s=self.s
            )
        else:
            second = _(TEXTS["no_fit_title"]).format(k=k)
        return f"{first}\n{second}"

    def _ring_window_centres(self):
        # Rings, not dots: a dot would hide the value written in a centre cell.
        k, s = self.K.shape[0], self.s
        centres = np.arange(self.out) * s + k / 2
        xs, ys = np.meshgrid(centres, centres)
        ring = min(20, 0.8 * self._cell_points(self.ax_in))
        self.ax_in.plot(xs.flatten(), ys.flatten(), "o", mfc="none", mec=BLUE, ms=ring, alpha=0.6)

    def _set_up_output_panel(self):
        """Title and scale of the output panel; its grid is drawn with the current window."""
        self.ax_out.set_title(_(TEXTS["output_title"]).format(out=self.out), fontsize=12)
        grid_axes(self.ax_out, self.out, self.cells)

    def _draw_kernel_that_does_not_fit(self):
        k = self.K.shape[0]
        self.ax_in.add_patch(
            Rectangle((0, 0), k, k, fill=False, edgecolor=RED, linewidth=3, linestyle="--")
        )
        self.ax_in.set_title(self._input_title(), fontsize=12)

    def _cell_points(self, ax):
        """Side of one drawn cell in points (aspect 'equal': the tighter direction decides)."""
        box = ax.get_position()
        (left, right), (bottom, top) = ax.get_xlim(), ax.get_ylim()
        width = box.width * self.fig.get_figwidth() / abs(right - left)
        height = box.height * self.fig.get_figheight() / abs(top - bottom)
        return 72 * min(width, height)

    def _write_input_values(self):
        padded = torch.nn.functional.pad(self.X, (self.p,) * 4)
        fontsize = min(12, 0.5 * self._cell_points(self.ax_in))
        texts = write_values(self.ax_in, padded, fmt="{}", fontsize=fontsize, x0=0.5, y0=0.5)
        for index, text in enumerate(texts):
            text.set_clip_on(True)  # inside the axes anyway; spares the tight box measuring it
            if self._is_padding(*divmod(index, padded.shape[1])):
                text.set_color("#666666")

    def _output_font_size(self):
        digits = len(str(self.Y.abs().max().item()))
        cell = self._cell_points(self.ax_out)
        return min(12, 0.5 * cell, 1.3 * cell / digits)

    def _write_output_values(self):
        """All outputs go into the saved rendering; ``png`` covers those not computed yet."""
        fontsize = self._output_font_size()
        for text in write_values(self.ax_out, self.Y, fmt="{}", fontsize=fontsize, x0=0.5, y0=0.5):
            text.set_clip_on(True)

    def _add_current_window(self):
        """Add and return the artists ``png`` moves: red window and the kernel values in it, white
        covers over the outputs after the current one, current output cell, output grid, title."""
        k, out = self.K.shape[0], self.out
        self.window_box = Rectangle(
            (0, 0), k, k, facecolor=(0.84, 0.15, 0.16, 0.15), edgecolor=RED, linewidth=3
        )
        self.ax_in.add_patch(self.window_box)
        weight_size = min(9, 0.3 * self._cell_points(self.ax_in))
        self.weights = [
            self.ax_in.text(
                0, 0, str(w), ha="right", va="bottom", fontsize=weight_size, color=RED, clip_on=True
            )
            for w in self.K.flatten().tolist()
        ]
        # Two rectangles cover what comes after the current output: the rest of its row and the
        # rows below. Covering a few cells is cheaper than drawing up to 144 values per picture.
        self.covers = [Rectangle((0, 0), 0, 0, facecolor="white", lw=0) for _cover in range(2)]
        self.output_box = Rectangle((0, 0), 1, 1, facecolor="#f4a6a6", lw=0)
        lines = [[(0, r), (out, r)] for r in range(out + 1)]
        lines += [[(c, 0), (c, out)] for c in range(out + 1)]
        self.output_grid = LineCollection(lines, colors="#444444", linewidths=1)
        self.current_output = self.ax_out.text(
            0, 0, "", ha="center", va="center", fontsize=self._output_font_size()
        )
        for artist in (*self.covers, self.output_box):
            self.ax_out.add_patch(artist)
        self.ax_out.add_collection(self.output_grid)
        output_parts = [*self.covers, self.output_box, self.output_grid, self.current_output]
        return [self.window_box, *self.weights, *output_parts, self.ax_in.title]

    def _move_to(self, window):
        k, s, out = self.K.shape[0], self.s, self.out
        i, j = divmod(window, out)
        self.window_box.set_xy((j * s, i * s))
        for index, text in enumerate(self.weights):
            a, b = divmod(index, k)
            text.set_position((j * s + b + 0.95, i * s + a + 0.95))
        rest_of_row, rows_below = self.covers
        rest_of_row.set_bounds(j + 1, i, out - j - 1, 1)
        rows_below.set_bounds(0, i + 1, out, out - i - 1)
        self.output_box.set_xy((j, i))
        self.current_output.set_position((j + 0.5, i + 0.5))
        self.current_output.set_text(str(self.Y[i, j].item()))
        self.ax_in.title.set_text(self._input_title(window))

    def png(self, window):
        """PNG bytes of the drawing with window number ``window`` (row-major) current."""
        if self.out:
            self._move_to(window)
        return self._render()


def _top_level_terms(part):
    """``part`` split at its ' + ' outside parentheses: 'floor((8 + 2·1) / 2) + 1' → 2 terms."""
    terms, depth, start = [], 0, 0
    for index, char in enumerate(part):
        depth += (char == "(") - (char == ")")
        if depth == 0 and part.startswith(" + ", index):
            terms.append(part[start:index])
            start = index + 3
    return [*terms, part[start:]]


def _unbroken(expression):
    """HTML of ``expression`` that wraps only at a ' + ' or ' = ' outside parentheses, never
    inside a term such as 'floor((8 + 2·1 − 3) / 2)', '(2 products that are 0)' or 'Y[1, 0]'."""
    nowrap = "<span style='white-space: nowrap'>{}</span>"
    parts = [
        " + ".join(nowrap.format(html.escape(term)) for term in _top_level_terms(part))
        for part in expression.split(" = ")
    ]
    return " = ".join(parts)


class ConvShapeExplorer(LessonWidget):
    """Sliders for input size n, kernel size k, padding p and stride s (square, one channel).

    Shows the output size floor((n + 2p − k) / s) + 1 computed by ``conv_output_shape`` with the
    formula worked out, and a drawing of the padded input with every window position. A fifth
    slider (and a play button linked to it in the browser) steps the red window through the
    positions; the line below the formula writes out that window's sum of products on the example
    input X (values 1–9) and kernel K (values 1–4) drawn in the cells. Display the object as the
    last expression of a cell.

    Computed state (updated on every change): ``X`` (n×n ints), ``K`` (k×k ints), ``Y`` (the
    output, out×out ints, equal to ``F.conv2d(X, K, padding=p, stride=s)``; None when the kernel
    does not fit), ``output_size`` (int, or None), ``shape_text`` (the worked formula, "" when
    invalid), ``window_text`` (the current window's sum, e.g. 'Y[1, 0] = 0·0 + 1·3 + 2·4 + 3·0 =
    11'; "" when invalid), ``message`` (why the setting is invalid, "" when valid),
    ``drawing_png`` (PNG bytes of the drawing, also in ``drawing.value``).
    """

    NAME = N_("Output-shape explorer")
    LIVE = N_("move the sliders, or play the window through every position")
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
        self.input_size = slider(
            _(TEXTS["input_size"]), input_size, limits["input_size"], "shape-input"
        )
        self.kernel_size = slider(
            _(TEXTS["kernel_size"]), kernel_size, limits["kernel_size"], "shape-kernel"
        )
        self.padding = slider(_(TEXTS["padding"]), padding, limits["padding"], "shape-padding")
        self.stride = slider(_(TEXTS["stride"]), stride, limits["stride"], "shape-stride")
        self.window = slider(_(TEXTS["window"]), 0, (0, 0), "shape-window")
        self.play, self.play_link = linked_play(
            self.window, "shape-play", margin_left="114px", keys=TEXTS["keys"]
        )
        self.output_text = widgets.HTML()
        self.output_text.add_class("shape-output")
        self.window_html = widgets.HTML()
        self.window_html.add_class("shape-window-sum")
        # The drawing fills the rest of the row up to its natural width (so it is never blown
        # up); below 440 px it wraps under the controls instead of shrinking further (at 1280×800 it
        # stays beside them, so the sliders and the picture they change are seen together).
        self.drawing = PictureWithAlt(layout=widgets.Layout(flex="1 1 440px", min_width="440px"))
        self.drawing.add_class("lesson-picture")
        self.drawing.add_class("shape-drawing")
        sliders = [self.input_size, self.kernel_size, self.padding, self.stride, self.window]
        texts = [self.output_text, self.window_html, self.message_html]
        controls = widgets.VBox(
            [*sliders, self.play, *texts, widgets.HTML(PICTURE_FITS)],
            layout=widgets.Layout(width="380px"),
        )
        self.ui = widgets.HBox(
            [controls, self.drawing],
            layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"),
        )
        for control in (self.input_size, self.kernel_size, self.padding, self.stride):
            control.observe(self._on_shape_change, names="value")
        self.window.observe(self._on_window_change, names="value")
        self.output_size = None
        self.shape_text = self.window_text = self.announcement = ""
        self.drawing_png = b""
        self._on_shape_change()

    def _on_shape_change(self, change=None):
        n, k, p, s = (
            c.value for c in (self.input_size, self.kernel_size, self.padding, self.stride)
        )
        self.X, self.K = example_input(n), example_kernel(k)
        try:
            self.output_size = conv_output_shape(n, k, p, s)
        except ValueError:
            self.output_size = self.Y = None
            self.shape_text = self.output_text.value = ""
            self._shape_lines = []
            # No-break spaces: the sum wraps as a whole, never inside.
            padded = f"{n} + 2·{p} = {n + 2 * p}".replace(" ", "\u00a0")
            self.message = _(TEXTS["no_fit"]).format(k=k, padded=padded)
        else:
            formula = _(TEXTS["formula"]).format(n=n, p=p, k=k, s=s)
            worked = f"= floor({n + 2 * p - k} / {s}) + 1 = {self.output_size}"
            self.shape_text = f"{formula} {worked}"
            self._shape_lines = [formula, worked]
            self.output_text.value = f"<b>{_unbroken(formula)}<br>{_unbroken(worked)}</b>"
            self.message = ""
            self.Y = cross_correlate(self._padded_input(), self.K, s, self.output_size)
        # Lowering max may clamp the window value and fire _on_window_change: draw once, below.
        with self.quietly():
            self.window.max = self.play.max = (self.output_size or 1) ** 2 - 1
        self.window.disabled = self.play.disabled = self.output_size is None
        self._figure = ConvWindowsFigure(self.X, self.K, p, s, self.Y)
        self._redraw()

    def _padded_input(self):
        """X with p rows/columns of zeros on each side, (n + 2p)×(n + 2p)."""
        return torch.nn.functional.pad(self.X, (self.padding.value,) * 4)

    def _on_window_change(self, change):
        if not self.busy:
            self._redraw()

    def _redraw(self):
        self._write_window_sum()
        png = self._figure.png(self.window.value)
        with self.drawing.hold_sync():  # the picture and its alt text in one message
            self.drawing.alt = self.alt_text()
            self.drawing_png = self.show_png(self.drawing, png, cap_width=True)
        self.announcement = self.play.announcement = self._announcement()

    def _input_words(self):
        n, p = self.input_size.value, self.padding.value
        size = n + 2 * p
        return _(TEXTS["padded" if p else "unpadded"]).format(n=n, size=size)

    def alt_text(self):
        """The drawing's alt text: e.g. 'input 5×5 padded to 7×7, every 3×3 window position
        outlined in blue, the current one outlined in red at row 0, column 2; output 3×3,
        Y[0, 1] = … = 47.'"""
        k = self.kernel_size.value
        if self.output_size is None:
            return _(TEXTS["alt_no_fit"]).format(input=self._input_words(), k=k)
        i, j = divmod(self.window.value, self.output_size)
        s = self.stride.value
        return _(TEXTS["alt"]).format(
            input=self._input_words(),
            k=k,
            top=i * s,
            left=j * s,
            out=self.output_size,
            sum=self.window_text,
        )

    def _announcement(self):
        """The live region's sentence: 'Window 2 of 9: Y[0, 1] = 2·1 + 3·2 + 5·3 + 6·4 = 47.'"""
        if self.output_size is None:
            return _(TEXTS["announce_no_fit"]).format(k=self.kernel_size.value)
        return _(TEXTS["announce"]).format(
            number=self.window.value + 1, count=self.output_size**2, sum=self.window_text
        )

    def _write_window_sum(self):
        if self.output_size is None:
            self.window_text = self.window_html.value = ""
            return
        i, j = divmod(self.window.value, self.output_size)
        products = window_products(self._padded_input(), self.K, i, j, self.stride.value)
        self.window_text = written_sum(i, j, products)
        self.window_html.value = f"<b>{_unbroken(self.window_text)}</b>"

    def _setting(self):
        return tuple(
            c.value for c in (self.input_size, self.kernel_size, self.padding, self.stride)
        )

    def state_line(self):
        n, k, p, s = self._setting()
        out = self.output_size
        result = _(TEXTS["state_output"]).format(out=out) if out else _(TEXTS["state_no_fit"])
        return _(TEXTS["state"]).format(n=n, k=k, p=p, s=s, result=result)

    def picture_lines(self):
        n, k, p, s = self._setting()
        settings = _(TEXTS["settings"]).format(n=n, k=k, p=p, s=s)
        return [settings, *self._shape_lines, self.window_text, ("error", self.message)]

    def main_picture(self):
        return self.drawing_png
