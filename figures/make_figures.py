"""Draw the lesson figures into figures/ (`make figures`, or `python figures/make_figures.py`).

Each figure is drawn once in English, into figures/, and once in Chinese, into figures/zh/ (the
Chinese edition's lessons link those): its words are marked ``_("…")`` and translated through the
series' language layer (``locale/zh/LC_MESSAGES/convlab.po``, which `make zh` updates).

Every number in a figure is computed by the project's own helpers (or by PyTorch, for the LeNet
shapes), so a figure cannot disagree with the lesson that links it. This script is the only thing
that writes into figures/: notebooks show their computed pictures inline and never write tracked
files. ``ALT_TEXT`` holds each figure's alt text, for the lessons' markdown images and the site;
``DRAWINGS`` maps each file name to the function that draws it (``tests/test_figures.py`` redraws
every figure and compares it with the committed PNG).
"""

import re
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.text import Text

import helpers
from convlab.language import LANGUAGES, _, language, set_language
from convlab.plotting import WINDOW_COLOURS, draw_matrix, write_values
from convlab.reference import torch_corr2d

FIGURES = Path(__file__).resolve().parent
FOLDERS = {"en": Path("."), "zh": Path("zh")}  # each language's figures, inside figures/
DPI = 150
HEADING = dict(ha="center", va="bottom", fontsize=13, weight="bold", linespacing=1.3)
SIDE_LABEL = dict(ha="center", va="center", fontsize=11.5, color="#333")
PADDING_FILL, PADDING_TEXT = "#e4e4e4", "#808080"  # zero padding: grey cells, grey zeros
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

ALT_TEXT = {
    "cross_correlation.png": (
        "A 3×3 input (1 to 9) cross-correlated with a 2×2 kernel (1 2 / 3 4) gives a 2×2 output "
        "(37 47 / 67 77); the first window and the output it produces are highlighted: "
        "1·1 + 2·2 + 4·3 + 5·4 = 37."
    ),
    "multichannel_convolution.png": (
        "Two 3×3 input channels, each cross-correlated with its own 2×2 kernel slice; the two "
        "results are added into one 2×2 output (56 72 / 104 120), the first output being "
        "(0·0 + 1·1 + 3·2 + 4·3) + (1·1 + 2·2 + 4·3 + 5·4) = 56."
    ),
    "max_pooling.png": (
        "2×2 max pooling with stride 2 on a 4×4 input: four non-overlapping windows, each in its "
        "own colour, and the 2×2 output (6 5 / 7 9) that holds each window's largest value."
    ),
    "padding.png": (
        "A 3×3 input (0 to 8) padded with one ring of zeros (grey) to 5×5, cross-correlated with "
        "a 2×2 kernel (0 1 / 2 3), gives a 4×4 output; the first window holds three padding "
        "zeros and the input's 0: 0·0 + 0·1 + 0·2 + 0·3 = 0."
    ),
    "stride.png": (
        "The same 5×5 padded input and 2×2 kernel with a stride of 3 down and 2 across give a "
        "2×2 output (0 8 / 6 8); the first window, the window one step right and the window one "
        "step down are shaded with their sums 0·0 + 0·1 + 0·2 + 0·3 = 0, "
        "0·0 + 0·1 + 1·2 + 2·3 = 8 and 0·0 + 6·1 + 0·2 + 0·3 = 6."
    ),
    "multi_output_channels.png": (
        "A 2×3×3 input and a 3×2×2×2 kernel: each of the 3 output channels has its own kernel of "
        "2 slices (one per input channel), and each slice pair gives one 2×2 output channel, so "
        "the output is 3×2×2."
    ),
    "conv_1x1.png": (
        "A 1×1 convolution: a 3×3 input with 3 channels and a 2×3×1×1 kernel (a 2×3 weight "
        "matrix) give a 2-channel 3×3 output; the highlighted centre pixel's 3 input values "
        "(3, 9, 1) are combined into its 2 output values (22 and 7): a fully connected layer, "
        "3 → 2, at every pixel."
    ),
    "pooling_3x3.png": (
        "2×2 max pooling with stride 1 on a 3×3 input (0 to 8) gives the 2×2 output 4 5 / 7 8; "
        "the first window is shaded: max(0, 1, 3, 4) = 4."
    ),
    "lenet_data_flow.png": (
        "LeNet's data flow, left to right: a 1×28×28 image becomes 6×28×28, 6×14×14, 16×12×12 "
        "and 16×7×7 feature maps in the convolutional block, then vectors of 784, 120 and 10 "
        "values in the dense block; under each arrow, the layer that makes the change "
        "(two 5×5 convolutions with sigmoid, two 2×2 average poolings, flatten, two linear layers)."
    ),
    "oriented_edges.png": (
        "Four 8×8 test images with an edge running like /, like \\, vertical (|) and horizontal "
        "(—), and below each the 6×6 responses of sobel_x, sobel_y and diagonal: the diagonal "
        "kernel responds most to the \\ edge (up to 4), also to | and — (3 and −3), and not at "
        "all to / (0)."
    ),
}


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


def shade(ax, x0, y0, rows, cols, colour, alpha=0.25):
    """Fill and outline a block of unit cells (top-left corner at x0, y0) in ``colour``."""
    ax.add_patch(
        Rectangle((x0, y0), cols, rows, facecolor=colour, alpha=alpha, edgecolor=colour, lw=3)
    )


def draw_padded(ax, values, padding, x0, y0, title):
    """``draw_matrix`` for a zero-padded input: the ``padding`` outer rings in grey."""
    first_text = len(ax.texts)
    draw_matrix(ax, values, x0, y0, title)
    rows, cols = values.shape

    def is_padding(i, j):
        return not (padding <= i < rows - padding and padding <= j < cols - padding)

    for i in range(rows):
        for j in range(cols):
            if is_padding(i, j):
                ax.add_patch(
                    Rectangle((x0 + j, y0 + i), 1, 1, facecolor=PADDING_FILL, edgecolor="#555")
                )
    for text in ax.texts[first_text:]:  # the values, one per cell (the title has no cell)
        x, y = text.get_position()
        i, j = int(y - y0), int(x - x0)
        if 0 <= i < rows and 0 <= j < cols and y > y0 and is_padding(i, j):
            text.set_color(PADDING_TEXT)


def products(window, kernel):
    """'x·k + x·k + …' for a window and a kernel of the same shape."""
    return " + ".join(
        f"{x:g}·{k:g}" for x, k in zip(window.flatten().tolist(), kernel.flatten().tolist())
    )


def cross_correlation_figure():
    """The worked example of notebook 01 with the first window and its output highlighted."""
    X = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    K = torch.tensor([[1.0, 2], [3, 4]])
    Y = helpers.corr2d(X, K)
    fig, ax = new_canvas(13, 5.2)
    draw_matrix(ax, X, 0, 1, _("Input X"), highlight=(0, 0, 2, 2))
    draw_symbol(ax, 3.9, 2.5, "⋆")
    draw_matrix(ax, K, 4.8, 1.5, _("Kernel K"), highlight=(0, 0, 2, 2))
    draw_symbol(ax, 7.7, 2.5, "=")
    draw_matrix(ax, Y, 8.6, 1.5, _("Output Y"), highlight=(0, 0, 1, 1))
    sum_line = f"{products(X[:2, :2], K)} = {Y[0, 0].item():g}"
    caption(ax, 6.3, 4.7, sum_line, fontsize=14)
    return fig, [sum_line, matrix_text(Y)]


def multichannel_figure():
    """Two input channels, each cross-correlated with its own kernel slice, summed."""
    X = torch.tensor([[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]])
    K = torch.tensor([[[0.0, 1], [2, 3]], [[1.0, 2], [3, 4]]])
    Y = helpers.corr2d_multi_in(X, K)
    fig, ax = new_canvas(13, 9.5)
    for channel, y0 in enumerate((1, 5.5)):
        title = _("Input channel {channel}").format(channel=channel)
        draw_matrix(ax, X[channel], 0, y0, title, highlight=(0, 0, 2, 2))
        draw_symbol(ax, 3.9, y0 + 1.5, "⋆")
        draw_matrix(
            ax,
            K[channel],
            4.8,
            y0 + 0.5,
            _("Kernel channel {channel}").format(channel=channel),
            highlight=(0, 0, 2, 2),
        )
    draw_symbol(ax, 5.8, 4.9, "+")
    draw_symbol(ax, 8.0, 4.9, "=")
    draw_matrix(ax, Y, 9.0, 3.9, _("Output"), highlight=(0, 0, 1, 1))
    sums = " + ".join(f"({products(X[c, :2, :2], K[c])})" for c in range(2))
    sum_line = f"{sums} = {Y[0, 0].item():g}"
    caption(ax, 6.5, 9.3, sum_line, fontsize=11.5)
    return fig, [sum_line, matrix_text(Y)]


def max_pooling_figure():
    """2×2 max pooling, stride 2: each window and its maximum in a colour of their own."""
    X = torch.tensor([[1.0, 3, 2, 1], [4, 6, 5, 0], [7, 2, 9, 8], [3, 1, 4, 6]])
    Y = helpers.pool2d(X, 2)
    fig, ax = new_canvas(9.5, 5.6)
    draw_matrix(ax, X, 0, 1, _("Input {shape}").format(shape="4×4"))
    draw_matrix(ax, Y, 6.5, 2, _("{size} max pooling").format(size="2×2"))
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
        _("each output is the largest value in its window (stride 2: windows do not overlap)"),
        ha="center",
        fontsize=10.5,
    )
    return fig, ["4×4", matrix_text(Y)]


def matrix_text(Y):
    """'a b / c d': a small matrix as the alt texts write it."""
    return " / ".join(" ".join(f"{v:g}" for v in row) for row in Y.tolist())


def padding_example():
    """d2l's example for padding and stride: 3×3 input 0…8, 2×2 kernel 0…3, padding 1."""
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.arange(4.0).reshape(2, 2)
    return X, K, torch.nn.functional.pad(X, (1, 1, 1, 1))


def padded_title(shape, padded):
    """'Input 3×3, padded to 5×5', in the current language."""
    return _("Input {shape}, padded to {padded}").format(shape=shape, padded=padded)


def padding_figure():
    """d2l Fig. 7.3.1: one ring of zeros around a 3×3 input makes the output 4×4, not 2×2."""
    X, K, X_padded = padding_example()
    Y = torch_corr2d(X, K, padding=1)
    assert torch.equal(Y, helpers.corr2d(X_padded, K))
    fig, ax = new_canvas(14.6, 7.2)
    draw_padded(ax, X_padded, 1, 0, 1, padded_title("3×3", "5×5"))
    shade(ax, 0, 1, 2, 2, WINDOW_COLOURS[0])
    draw_symbol(ax, 5.9, 3.5, "⋆")
    draw_matrix(ax, K, 6.8, 2.5, _("Kernel {shape}").format(shape="2×2"), highlight=(0, 0, 2, 2))
    draw_symbol(ax, 9.7, 3.5, "=")
    draw_matrix(ax, Y, 10.6, 1.5, _("Output {shape}").format(shape="4×4"), highlight=(0, 0, 1, 1))
    sum_line = f"{products(X_padded[:2, :2], K)} = {Y[0, 0].item():g}"
    ax.text(
        2.5, 6.6, _("grey: padding (zeros)"), ha="center", va="center", fontsize=12, color="#555"
    )
    ax.text(9.6, 6.6, sum_line, ha="center", va="center", fontsize=14, color=WINDOW_COLOURS[0])
    return fig, ["3×3", "5×5", "4×4", sum_line]


def stride_figure():
    """d2l Fig. 7.3.2: the padded input with stride 3 down and 2 across gives a 2×2 output."""
    X, K, X_padded = padding_example()
    stride = (3, 2)
    Y = torch_corr2d(X, K, padding=1, stride=stride)
    assert torch.equal(Y, helpers.corr2d(X_padded, K)[:: stride[0], :: stride[1]])
    fig, ax = new_canvas(14.6, 10.0)
    draw_padded(ax, X_padded, 1, 0, 1, padded_title("3×3", "5×5"))
    draw_symbol(ax, 5.9, 3.5, "⋆")
    kernel_title = _("Kernel {shape}").format(shape="2×2")
    draw_matrix(ax, K, 6.8, 2.5, kernel_title, highlight=(0, 0, 2, 2), colour="#777")
    draw_symbol(ax, 9.7, 3.5, "=")
    draw_matrix(ax, Y, 10.6, 2.5, _("Output {shape}").format(shape="2×2"))
    windows = [(0, 0), (0, 1), (1, 0)]  # output positions: the first, one step right, one down
    sum_lines = []
    for colour, (i, j) in zip(WINDOW_COLOURS, windows):
        r, c = i * stride[0], j * stride[1]
        shade(ax, c, 1 + r, 2, 2, colour)
        shade(ax, 10.6 + j, 2.5 + i, 1, 1, colour, alpha=0.3)
        sum_lines.append(f"{products(X_padded[r : r + 2, c : c + 2], K)} = {Y[i, j].item():g}")
    arrow = dict(arrowstyle="->", lw=2, color="#333")
    ax.annotate("", xy=(stride[1] + 1, 6.4), xytext=(1, 6.4), arrowprops=arrow)
    across = _("{step} across").format(step=stride[1])
    ax.text(2, 6.6, across, ha="center", va="top", fontsize=12)
    ax.annotate("", xy=(-0.45, 2 + stride[0]), xytext=(-0.45, 2), arrowprops=arrow)
    ax.text(
        -0.6, 3.5, _("{step} down").format(step=stride[0]), ha="right", va="center", fontsize=12
    )
    ax.set_xlim(-2.4, 14.6)
    labels = (_("first window:"), _("one step right:"), _("one step down:"))
    for k, (colour, label, line) in enumerate(zip(WINDOW_COLOURS, labels, sum_lines)):
        ax.text(0, 8.0 + 0.75 * k, label, fontsize=13, color=colour, va="center")
        ax.text(4.4, 8.0 + 0.75 * k, line, fontsize=13, color=colour, va="center")
    return fig, ["5×5", f"{stride[0]} down and {stride[1]} across", matrix_text(Y), *sum_lines]


def shape_text(X):
    """'2×3×3': a tensor's shape as the figures write it."""
    return "×".join(map(str, X.shape))


def signed_terms(weights, values):
    """'1·3 + 2·9 − 2·1': a weighted sum written out, negative weights with a minus sign."""
    text = ""
    for k, (w, v) in enumerate(zip(weights, values)):
        term = f"{abs(w):g}·{v:g}"
        if k == 0:
            text = f"−{term}" if w < 0 else term
        else:
            text += f" − {term}" if w < 0 else f" + {term}"
    return text


def multi_output_example():
    """Lesson 03's example: X 2×3×3, K the 2×2×2 kernel and K + 1, K + 2 (c_o = 3)."""
    X = torch.stack((torch.arange(9.0), torch.arange(1.0, 10))).reshape(2, 3, 3)
    K = torch.stack((torch.arange(4.0), torch.arange(1.0, 5))).reshape(2, 2, 2)
    return X, torch.stack((K, K + 1, K + 2))


def multi_output_channels_figure():
    """Each output channel has its own c_i×k_h×k_w kernel: c_o kernels stacked, c_o outputs."""
    X, K = multi_output_example()
    Y = helpers.corr2d_multi_in_out(X, K)
    c_o, c_i, k_h, k_w = K.shape
    fig, ax = new_canvas(16.2, 11.0)
    ax.text(1.5, 0.1, _("input c_i×h×w\n= {shape}").format(shape=shape_text(X)), **HEADING)
    kernel = _("kernel c_o×c_i×k_h×k_w\n= {shape}").format(shape=shape_text(K))
    ax.text(8.25, 0.1, kernel, **HEADING)
    ax.text(14.0, 0.1, _("output c_o×h′×w′\n= {shape}").format(shape=shape_text(Y)), **HEADING)
    for c in range(c_i):
        draw_matrix(ax, X[c], 0, 1.9 + 4.4 * c, _("channel {channel}").format(channel=c))
    for o, colour in zip(range(c_o), WINDOW_COLOURS):
        top = 0.9 + 3.25 * o
        ax.add_patch(
            FancyBboxPatch(
                (4.75, top - 0.15),
                7.0,
                k_h + 0.8,
                boxstyle="round,pad=0.1",
                facecolor=colour,
                alpha=0.12,
                edgecolor=colour,
                lw=2,
            )
        )
        kernel = _("kernel {index}").format(index=o)
        ax.text(5.0, top + 0.9, kernel, ha="left", va="center", fontsize=12, color=colour)
        for c in range(c_i):
            write_slice(ax, K[o, c], 6.95 + 2.5 * c, top + 0.4, f"[{o}, {c}]")
        ax.annotate(
            "",
            xy=(12.85, top + 1.4),
            xytext=(11.95, top + 1.4),
            arrowprops=dict(arrowstyle="->", lw=2, color=colour),
        )
        first_text = len(ax.texts)
        draw_matrix(ax, Y[o], 13.0, top + 0.4, "")
        for text in ax.texts[first_text:]:  # three-digit values: a size smaller than the inputs
            text.set_fontsize(13)
        shade(ax, 13.0, top + 0.4, k_h, k_w, colour, alpha=0.15)
        ax.text(15.2, top + 1.4, f"{o}", ha="left", va="center", fontsize=13, color=colour)
    terms = " + ".join(_("input[{c}] ⋆ kernel[o, {c}]").format(c=c) for c in range(c_i))
    lines = [
        _("output[o] = {terms}").format(terms=terms),
        _(
            "each of the c_o = {c_o} output channels has its own "
            "c_i×k_h×k_w = {c_i}×{k_h}×{k_w} kernel"
        ).format(c_o=c_o, c_i=c_i, k_h=k_h, k_w=k_w),
    ]
    for k, line in enumerate(lines):
        ax.text(8.0, 10.75 + 0.6 * k, line, ha="center", va="center", fontsize=12.5)
    ax.set_ylim(11.7, -1.2)
    return fig, [shape_text(X), shape_text(K), shape_text(Y)]


def write_slice(ax, values, x0, y0, title):
    """A small kernel slice: ``draw_matrix`` with a title in normal weight."""
    draw_matrix(ax, values, x0, y0, "")
    rows, cols = values.shape
    ax.text(x0 + cols / 2, y0 - 0.1, title, ha="center", va="bottom", fontsize=11, color="#333")


def conv_1x1_example():
    """Small integers: a 3-channel 3×3 input and a 2×3 weight matrix as a 2×3×1×1 kernel."""
    generator = torch.Generator().manual_seed(0)
    X = torch.randint(0, 10, (3, 3, 3), generator=generator).float()
    K = torch.tensor([[1.0, 2.0, 1.0], [0.0, 1.0, -2.0]]).reshape(2, 3, 1, 1)
    return X, K


def conv_1x1_figure():
    """d2l Fig. 7.4.2: a 1×1 convolution mixes the channels of each pixel, nothing else."""
    X, K = conv_1x1_example()
    Y = helpers.corr2d_multi_in_out_1x1(X, K)
    assert torch.equal(Y, helpers.corr2d_multi_in_out(X, K))
    c_o, c_i = K.shape[:2]
    i, j = 1, 1  # the highlighted pixel
    pixel = "#ff7f0e"
    fig, ax = new_canvas(17.4, 12.6)
    ax.text(1.5, 0.4, _("input {shape}").format(shape=shape_text(X)), **HEADING)
    ax.text(8.6, 0.4, _("kernel {shape}").format(shape=shape_text(K)), **HEADING)
    ax.text(15.5, 0.4, _("output {shape}").format(shape=shape_text(Y)), **HEADING)
    inputs_top = [1.2 + 3.8 * c for c in range(c_i)]
    outputs_top = [2.5 + 4.4 * o for o in range(c_o)]
    for c, top in enumerate(inputs_top):
        draw_matrix(ax, X[c], 0, top, "")
        ax.text(
            -0.3, top + 1.5, _("channel {channel}").format(channel=c), rotation=90, **SIDE_LABEL
        )
        shade(ax, j, top + i, 1, 1, pixel, alpha=0.35)
    W = K.reshape(c_o, c_i)
    draw_matrix(ax, W, 7.1, 4.6, "")
    ax.text(8.6, 4.4, _("weights: rows = outputs,\ncolumns = inputs"), ha="center", va="bottom",
            fontsize=11.5, color="#333")  # fmt: skip
    for o, top in enumerate(outputs_top):
        draw_matrix(ax, Y[o], 14.0, top, "")
        ax.text(
            17.3, top + 1.5, _("channel {channel}").format(channel=o), rotation=90, **SIDE_LABEL
        )
        shade(ax, 14.0 + j, top + i, 1, 1, pixel, alpha=0.35)
    arrow = dict(arrowstyle="->", lw=1.8, color=pixel)
    for top in inputs_top:
        ax.annotate("", xy=(7.0, 5.6), xytext=(3.1, top + i + 0.5), arrowprops=arrow)
    for o, top in enumerate(outputs_top):
        ax.annotate("", xy=(13.9, top + i + 0.5), xytext=(10.2, 5.1 + o), arrowprops=arrow)
    x = X[:, i, j]
    sum_lines = [
        f"{signed_terms(W[o].tolist(), x.tolist())} = {Y[o, i, j].item():g}".replace("-", "−")
        for o in range(c_o)
    ]
    for o, line in enumerate(sum_lines):
        ax.text(8.6, 8.1 + 0.65 * o, line, ha="center", va="center", fontsize=13, color=pixel)
    ax.text(
        8.6,
        12.3,
        _("a fully connected layer, {c_i} → {c_o}, at every pixel").format(c_i=c_i, c_o=c_o),
        ha="center",
        va="center",
        fontsize=14,
        weight="bold",
    )
    ax.set_xlim(-1.2, 17.6)
    ax.set_ylim(12.8, -0.6)
    values = ", ".join(f"{v:g}" for v in x.tolist())
    outputs = " and ".join(f"{v:g}" for v in Y[:, i, j].tolist())
    return fig, [f"({values})", f"({outputs})", shape_text(K), f"{c_i} → {c_o}"]


def pooling_3x3_figure():
    """d2l Fig. 7.5.1: 2×2 max pooling with stride 1 on the 3×3 input 0…8."""
    X = torch.arange(9.0).reshape(3, 3)
    Y = helpers.pool2d(X, 2, stride=1)
    fig, ax = new_canvas(10.2, 5.2)
    draw_matrix(ax, X, 0, 1, _("Input {shape}").format(shape="3×3"), highlight=(0, 0, 2, 2))
    ax.annotate("", xy=(6.4, 2.5), xytext=(3.6, 2.5),
                arrowprops=dict(arrowstyle="->", lw=2, color="#333"))  # fmt: skip
    pooling = _("{size} max pooling,\nstride {stride}").format(size="2×2", stride=1)
    ax.text(5.0, 2.3, pooling, ha="center", va="bottom", fontsize=12.5)
    draw_matrix(ax, Y, 7.0, 1.5, _("Output {shape}").format(shape="2×2"), highlight=(0, 0, 1, 1))
    window = ", ".join(f"{v:g}" for v in X[:2, :2].flatten().tolist())
    sum_line = f"max({window}) = {Y[0, 0].item():g}"
    caption(ax, 4.5, 4.7, sum_line, fontsize=14)
    return fig, [sum_line, matrix_text(Y)]


def lenet_stages(net, input_shape=(1, 1, 28, 28)):
    """The network as stages: each layer with the activations after it, and the shape of the
    tensor the stage outputs, recorded by forward hooks on a dummy input (batch axis dropped).
    Returns the input shape and a list of (layers, output shape)."""
    output_shapes = []

    def record(layer, inputs, output):
        output_shapes.append(tuple(output.shape[1:]))

    hooks = [layer.register_forward_hook(record) for layer in net]
    with torch.no_grad():
        net(torch.zeros(input_shape))
    for hook in hooks:
        hook.remove()
    stages = []
    for layer, shape in zip(net, output_shapes, strict=True):
        if isinstance(layer, (torch.nn.Sigmoid, torch.nn.ReLU)):
            stages[-1] = (stages[-1][0] + [layer], shape)
        else:
            stages.append(([layer], shape))
    return tuple(input_shape[1:]), stages


def describe(layers):
    """Short lines naming a stage's layer with its kernel, padding and stride (d2l's compressed
    notation), the activation last."""
    layer, *activations = layers
    pair = "{}×{}".format
    if isinstance(layer, torch.nn.Conv2d):
        lines = [f"Conv2d {pair(*layer.kernel_size)}"]
        lines.append(_("{count} kernels").format(count=layer.out_channels))
        lines.append(_("pad {padding}").format(padding=layer.padding[0]))
        lines.append(_("stride {stride}").format(stride=layer.stride[0]))
    elif isinstance(layer, torch.nn.AvgPool2d):
        size = pair(layer.kernel_size, layer.kernel_size)
        lines = ["AvgPool2d", size, _("stride {stride}").format(stride=layer.stride)]
        if layer.padding:
            lines.append(_("pad {padding}").format(padding=layer.padding))
    elif isinstance(layer, torch.nn.Linear):
        lines = ["Linear", f"{layer.in_features} → {layer.out_features}"]
    else:
        lines = [type(layer).__name__]
    return lines + [type(a).__name__.lower() for a in activations]


def draw_tensor(ax, shape, x, y, unit):
    """A c×h×w tensor as c offset h×w squares (front one at the bottom left), a vector of n
    values as a bar whose height grows like √n; centred at (x, y). Returns its width."""
    if len(shape) == 3:
        c, h, w = shape
        step = 0.035
        width, height = w * unit + (c - 1) * step, h * unit + (c - 1) * step
        left, bottom = x - width / 2, y + height / 2
        for k in reversed(range(c)):
            ax.add_patch(
                Rectangle(
                    (left + k * step, bottom - h * unit - k * step),
                    w * unit,
                    h * unit,
                    facecolor="#c6dbef" if k else "#9ecae1",
                    edgecolor="#2b5d8a",
                    lw=0.8,
                )
            )
        return width
    (n,) = shape
    height, width = max(n**0.5 * unit, 0.12), 0.2
    ax.add_patch(
        Rectangle(
            (x - width / 2, y - height / 2),
            width,
            height,
            facecolor="#fdd0a2",
            edgecolor="#a63603",
            lw=1,
        )
    )
    return width


def lenet_data_flow_figure():
    """d2l Figs. 7.6.1–7.6.2 for the notes' network: tensors and shapes above, layers below."""
    net = helpers.lenet("notes")
    input_shape, stages = lenet_stages(net)
    shapes = [input_shape] + [shape for _, shape in stages]
    pitch, unit, centre = 1.4, 0.95 / 28, 1.35  # in inches: the axes span the whole figure
    width, height = pitch * len(shapes), 4.2
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    xs = [pitch * (k + 0.5) for k in range(len(shapes))]
    widths = [draw_tensor(ax, shape, x, centre, unit) for shape, x in zip(shapes, xs)]
    for shape, x in zip(shapes, xs):
        ax.text(x, 2.08, "×".join(map(str, shape)), ha="center", va="top", fontsize=14)
    ax.text(xs[0], 2.38, _("image"), ha="center", va="top", fontsize=13, color="#555")
    ax.text(xs[-1], 2.38, _("logits"), ha="center", va="top", fontsize=13, color="#555")
    for k, (layers, _shape) in enumerate(stages):
        start, end = xs[k] + widths[k] / 2 + 0.06, xs[k + 1] - widths[k + 1] / 2 - 0.06
        middle = (xs[k] + xs[k + 1]) / 2
        ax.annotate("", xy=(end, centre), xytext=(start, centre),
                    arrowprops=dict(arrowstyle="->", lw=1.8, color="#333"))  # fmt: skip
        ax.plot([middle, middle], [centre + 0.06, 2.72], color="#999", lw=1, ls=":")
        ax.text(
            middle,
            2.8,
            "\n".join(describe(layers)),
            ha="center",
            va="top",
            fontsize=13,
            linespacing=1.2,
            bbox=dict(boxstyle="round,pad=0.3", facecolor="#f4f4f4", edgecolor="#888"),
        )
    flat = next(k for k, shape in enumerate(shapes) if len(shape) == 1)
    blocks = [(0, flat - 1, _("convolutional block")), (flat, len(shapes) - 1, _("dense block"))]
    for first, last, label in blocks:
        left, right = xs[first] - widths[first] / 2, xs[last] + widths[last] / 2
        ax.plot([left, left, right, right], [0.5, 0.4, 0.4, 0.5], color="#555", lw=1.2)
        ax.text((left + right) / 2, 0.33, label, ha="center", va="bottom", fontsize=14,
                weight="bold")  # fmt: skip
    return fig, ["×".join(map(str, shape)) for shape in shapes]


def edge_images(n=8):
    """Four n×n test images, bright on one side of an edge and dark on the other: the edge runs
    like /, like \\, vertically (|) and horizontally (—). Lesson 02's exercise 1 uses the same."""
    r, c = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    return {
        "/": (r + c < n).float(),
        "\\": (c > r).float(),
        "|": (c >= n // 2).float(),
        "—": (r >= n // 2).float(),
    }


def oriented_edges_figure():
    """Lesson 02: which hand-designed kernel responds to which edge direction."""
    images = edge_images()
    kernels = helpers.classic_kernels()
    names = ["sobel_x", "sobel_y", "diagonal"]
    edge_names = {"/": _("edge running\nlike /"), "\\": _("edge running\nlike \\"),
                  "|": _("vertical\nedge |"), "—": _("horizontal\nedge —")}  # fmt: skip
    fig, axes = plt.subplots(
        len(names) + 1,
        len(images) + 1,
        figsize=(9.6, 7.6),
        gridspec_kw=dict(width_ratios=[0.85] + [1] * len(images), hspace=0.45, wspace=0.3),
    )
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].axis("off")
    test_image = _("test image\n({shape})").format(shape="8×8")
    axes[0, 0].text(0.5, 0.5, test_image, ha="center", va="center", fontsize=12.5,
                    transform=axes[0, 0].transAxes)  # fmt: skip
    for col, (edge, image) in enumerate(images.items(), start=1):
        axes[0, col].imshow(image.numpy(), cmap="gray", vmin=-0.1, vmax=1.25)
        axes[0, col].set_title(edge_names[edge], fontsize=12.5)
    facts = []
    for row, name in enumerate(names, start=1):
        K = kernels[name]
        key = axes[row, 0]
        key.imshow(K.numpy(), cmap="RdBu_r", vmin=-2.5, vmax=2.5)
        write_values(key, K, dark=lambda v: abs(v) > 1.5, fmt="{:g}", fontsize=11.5)
        for text in key.texts:
            text.set_text(text.get_text().replace("-", "−"))
        key.set_title(name, fontsize=12.5, weight="bold")
        responses = [helpers.corr2d(image, K) for image in images.values()]
        limit = max(Y.abs().max().item() for Y in responses)
        for col, (edge, Y) in enumerate(zip(images, responses), start=1):
            ax = axes[row, col]
            ax.imshow(Y.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
            low, high = Y.min().item(), Y.max().item()
            value_range = (
                _("all 0")
                if low == high == 0
                else _("{low} to {high}").format(low=f"{low:g}", high=f"{high:g}")
            )
            ax.set_xlabel(value_range.replace("-", "−"), fontsize=11.5)
            if name == "diagonal":
                facts.append(f"{max(abs(low), abs(high)):g}")
    fig.text(
        0.5,
        0.01,
        _(
            "under each 6×6 response: its smallest and largest value\n"
            "red positive, blue negative, white 0; one colour scale per row"
        ),
        ha="center",
        fontsize=11.5,
    )
    return fig, facts


DRAWINGS = {
    "cross_correlation.png": cross_correlation_figure,
    "multichannel_convolution.png": multichannel_figure,
    "max_pooling.png": max_pooling_figure,
    "padding.png": padding_figure,
    "stride.png": stride_figure,
    "multi_output_channels.png": multi_output_channels_figure,
    "conv_1x1.png": conv_1x1_figure,
    "pooling_3x3.png": pooling_3x3_figure,
    "lenet_data_flow.png": lenet_data_flow_figure,
    "oriented_edges.png": oriented_edges_figure,
}


def save(fig, path):
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    plt.close(fig)


@contextmanager
def drawing_in(chosen):
    """Draw in the ``chosen`` language (its words; Chinese also brings the CJK font), then go back
    to the language and matplotlib settings there were, so an English figure never sees the CJK
    font."""
    before = language()
    with matplotlib.rc_context():
        set_language(chosen)
        try:
            yield
        finally:
            set_language(before)


def regular_weight_where_chinese(fig):
    """The CJK fonts the set-up installs have no bold face: a bold heading would set its Latin
    letters and digits bold and its Chinese regular, so a text with Chinese is regular all through.
    """
    for text in fig.findobj(Text):
        if CHINESE.search(text.get_text()):
            text.set_fontweight("normal")


def draw(name, chosen):
    """Figure ``name`` in the ``chosen`` language: (figure, the numbers it states). The texts of a
    matplotlib figure keep the font they were made with, so it can be saved after the call."""
    with drawing_in(chosen):
        fig, facts = DRAWINGS[name]()
    regular_weight_where_chinese(fig)
    return fig, facts


def figure_path(name, chosen, folder=FIGURES):
    """Where figure ``name`` in the ``chosen`` language lives: figures/NAME or figures/zh/NAME."""
    return Path(folder) / FOLDERS[chosen] / name


def has_chinese(fig):
    """Whether any text of ``fig`` is Chinese: a figure without words needs no Chinese drawing."""
    return any(CHINESE.search(text.get_text()) for text in fig.findobj(Text))


def main(folder=FIGURES):
    """Draw every figure in English and, where it has words to translate, in Chinese."""
    for chosen in LANGUAGES:
        for name in DRAWINGS:
            fig, _facts = draw(name, chosen)
            if chosen != "en" and not has_chinese(fig):
                plt.close(fig)  # the Chinese edition links the English drawing
                continue
            path = figure_path(name, chosen, folder)
            path.parent.mkdir(exist_ok=True)
            save(fig, path)
            print("wrote", path)


if __name__ == "__main__":
    main()
