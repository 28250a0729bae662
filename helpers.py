"""The lesson code of "Convolutions to LeNet": what the notebooks print, explain and build on.

Every function here is born in the lesson that explains it, as in d2l's ``d2l/torch.py``:

    01 cross-correlation   corr2d, corr2d_vectorized, Conv2D, conv_output_shape
    02 edge detection      edge_image, classic_kernels
    03 multi-channel       corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1
    04 pooling             pool2d
    05 LeNet               lenet, LENET_VARIANTS, standardize, FASHION_MNIST_MEAN,
                           FASHION_MNIST_STD, train_epoch, accuracy, prepare_drawing
    06 inside LeNet        checkpoint_path, trained_lenet
    argument checks        check_tensor, check_int, check_choice, pair, check_fits
    printed tables         display_width, justify
    files                  REPO_ROOT

The machinery behind the lessons lives in the package ``convlab`` (data loading, plotting, training
with checkpoints, PyTorch references, the widgets). ``helpers`` re-exports what the notebooks use,
imported on first use, so ``import helpers`` stays light (no ipywidgets until a widget is used):

    data        load_fashion_mnist, FashionMNIST, DATA_ENV_VAR,         convlab.data
                CLASS_NAMES, class_name, class_names
    plotting    show_images, show_heatmap, figure_png, plot_history,    convlab.plotting
                draw_architecture, plot_time_to_accuracy
    training    train, LESSON_RECIPE, predict, predict_probabilities,   convlab.training
                pick_device
    reference   torch_corr2d, torch_pool2d                              convlab.reference
    fonts       use_cjk_font                                            convlab.fonts
    checks      without                                                 convlab.checks
    language    set_language, language                                  convlab.language
    widgets     ConvShapeExplorer, KernelEditor, PoolingExplorer,       convlab.widgets
                LeNetExplorer, editor_presets, KERNEL_ENTRY_BOUND

tests/test_helpers.py checks that these two lists are exactly what ``helpers`` offers.

Errors follow one convention everywhere in the series: a wrong type raises ``TypeError``, the right
type with a bad value or shape raises ``ValueError``. Each message names the argument, what it got
and what was expected. Shapes in docstrings use h×w for height×width.
"""

import importlib
import sys
import unicodedata
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from convlab.language import N_, _, edition_language

REPO_ROOT = Path(__file__).resolve().parent  # notebooks read repository files from here, not "../"

# --------------------------------------------------------------------------------------------------
# Argument checks (the error convention above, written once)
# --------------------------------------------------------------------------------------------------


def check_tensor(name, x, ndims, layout):
    """Raise unless ``x`` is a non-empty floating-point tensor with ``ndims`` dimensions."""
    layout = _(layout)  # "h×w or c×h×w" is marked N_ where it is written
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            _("{name} must be a torch.Tensor of shape {layout}, got {type}").format(
                name=name, layout=layout, type=type(x).__name__
            )
        )
    if not x.is_floating_point():
        raise TypeError(
            _(
                "{name} must be a floating-point tensor, got dtype {dtype} (use {name}.float())"
            ).format(name=name, dtype=x.dtype)
        )
    if x.dim() not in ndims:
        # Translators: joins the allowed numbers of dimensions, as in "2 or 3".
        dims = _(" or ").join(map(str, ndims))
        raise ValueError(
            _("{name} must have shape {layout} ({dims} dimensions), got shape {shape}").format(
                name=name, layout=layout, dims=dims, shape=tuple(x.shape)
            )
        )
    if x.numel() == 0:
        raise ValueError(
            _("{name} must not be empty, got shape {shape}").format(name=name, shape=tuple(x.shape))
        )


def check_int(name, value, low, high=None):
    """Raise unless ``value`` is an int (not a bool) in ``low..high`` (no upper bound when None)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(
            _("{name} must be an int, got {type} {value!r}").format(
                name=name, type=type(value).__name__, value=value
            )
        )
    if high is None and value < low:
        raise ValueError(
            _("{name} must be an int ≥ {low}, got {value}").format(name=name, low=low, value=value)
        )
    if high is not None and not low <= value <= high:
        raise ValueError(
            _("{name} must be an int in {low}..{high}, got {value}").format(
                name=name, low=low, high=high, value=value
            )
        )


def check_choice(name, value, choices):
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(map(repr, choices))
        raise ValueError(
            _("{name} must be one of {options}, got {value!r}").format(
                name=name, options=options, value=value
            )
        )


def pair(name, value, minimum):
    """Turn an int or a pair of ints into a pair, checking each entry is an int ≥ ``minimum``."""
    values = (value, value) if isinstance(value, int) else value
    not_a_pair = _("{name} must be an int or a pair of ints, got {value!r}")
    if not isinstance(values, (tuple, list)):
        raise TypeError(not_a_pair.format(name=name, value=value))
    if len(values) != 2:
        raise ValueError(
            _("{name} must be an int or a pair of ints, got {count} values").format(
                name=name, count=len(values)
            )
        )
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise TypeError(not_a_pair.format(name=name, value=value))
    if min(values) < minimum:
        raise ValueError(
            _("{name} must be ≥ {minimum}, got {value!r}").format(
                name=name, minimum=minimum, value=value
            )
        )
    return tuple(values)


def check_fits(input_hw, kernel_hw, padding_hw, what):
    """Raise unless a kernel fits inside the (padded) input in both directions.

    ``what`` names the kernel: an argument's name, or words marked ``N_`` (shown translated)."""
    padded = tuple(n + 2 * p for n, p in zip(input_hw, padding_hw))
    if any(k > n for k, n in zip(kernel_hw, padded)):
        raise ValueError(
            _(
                "{what} {kernel} is larger than the padded input {padded} "
                "(input {input}, padding {padding})"
            ).format(
                what=_(what),
                kernel=tuple(kernel_hw),
                padded=padded,
                input=tuple(input_hw),
                padding=tuple(padding_hw),
            )
        )


# --------------------------------------------------------------------------------------------------
# Printed tables (columns that line up in Chinese too)
# --------------------------------------------------------------------------------------------------


def display_width(text):
    """How many columns ``text`` takes in a monospaced output: two for each East Asian wide or
    full-width character (Chinese, full-width punctuation), one for any other character."""
    if not isinstance(text, str):
        raise TypeError(
            _("text must be a str, got {type} {value!r}").format(
                type=type(text).__name__, value=text
            )
        )
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def justify(text, width, align="<"):
    """``text`` padded with spaces to ``width`` display columns, like ``f"{text:<width}"`` but
    counting a Chinese character as the two columns it takes on screen, so that a table's
    columns line up in both languages. ``align`` is "<" (left), ">" (right) or "^" (centred);
    a text wider than ``width`` is returned whole, as ``format`` does.
    """
    used = display_width(text)
    check_int("width", width, 0)
    check_choice("align", align, ("<", ">", "^"))
    missing = max(width - used, 0)
    left = {"<": 0, ">": missing, "^": missing // 2}[align]
    return " " * left + text + " " * (missing - left)


# --------------------------------------------------------------------------------------------------
# 01 Cross-correlation (互相关运算)
# --------------------------------------------------------------------------------------------------


def corr2d(X, K):
    """2-D cross-correlation written as two loops, the way the formula reads.

    Y[i, j] = sum_a sum_b X[i + a, j + b] * K[a, b]

    X: h×w input, K: kh×kw kernel  →  (h−kh+1)×(w−kw+1) output. Differentiable in X and K.
    """
    check_tensor("X", X, (2,), "h×w")
    check_tensor("K", K, (2,), "kh×kw")
    check_fits(X.shape, K.shape, (0, 0), N_("kernel K"))
    kh, kw = K.shape
    Y = torch.zeros(X.shape[0] - kh + 1, X.shape[1] - kw + 1, dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + kh, j : j + kw] * K).sum()
    return Y


def corr2d_vectorized(X, K):
    """The same cross-correlation as ``corr2d`` without Python loops.

    ``F.unfold`` copies every kh×kw window into a column (im2col); one matrix product with the
    flattened kernel then computes all outputs at once.

    X: h×w, or n×h×w for n images; K: kh×kw  →  (h−kh+1)×(w−kw+1), or n×(h−kh+1)×(w−kw+1).
    """
    check_tensor("X", X, (2, 3), N_("h×w or n×h×w"))
    check_tensor("K", K, (2,), "kh×kw")
    check_fits(X.shape[-2:], K.shape, (0, 0), N_("kernel K"))
    h, w = X.shape[-2:]
    kh, kw = K.shape
    columns = F.unfold(X.reshape(-1, 1, h, w), (kh, kw))  # n × (kh·kw) × (number of windows)
    Y = K.reshape(1, -1) @ columns
    return Y.reshape(*X.shape[:-2], h - kh + 1, w - kw + 1)


class Conv2D(nn.Module):
    """A convolutional layer built on ``corr2d``: output = corr2d(x, weight) + bias.

    ``weight`` (kh×kw) and ``bias`` (1 value) are the parameters training learns.
    forward: x h×w  →  (h−kh+1)×(w−kw+1).
    """

    def __init__(self, kernel_size):
        super().__init__()
        kh, kw = pair("kernel_size", kernel_size, minimum=1)
        self.weight = nn.Parameter(torch.rand(kh, kw))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    """Output size of a convolution or pooling window: floor((n + 2p − k) / s) + 1 per direction.

    Each argument is an int (same for height and width) or an (h, w) pair. Returns an int when
    every argument is an int, otherwise an (h, w) tuple.
    """
    n = pair("input_size", input_size, minimum=1)
    k = pair("kernel_size", kernel_size, minimum=1)
    p = pair("padding", padding, minimum=0)
    s = pair("stride", stride, minimum=1)
    check_fits(n, k, p, "kernel_size")
    out = tuple((ni + 2 * pi - ki) // si + 1 for ni, ki, pi, si in zip(n, k, p, s))
    all_ints = all(isinstance(v, int) for v in (input_size, kernel_size, padding, stride))
    return out[0] if all_ints else out


# --------------------------------------------------------------------------------------------------
# 02 Edge detection, feature maps (特征映射) and receptive fields (感受野)
# --------------------------------------------------------------------------------------------------


def edge_image():
    """The 6×8 toy image of the edge-detection lesson: 1 everywhere except 0 in columns 2–5."""
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    return X


def classic_kernels():
    """Hand-designed kernels by name, as float tensors (3×3 except the 1×2 ``edge`` kernel).

    ``edge`` [1, −1] responds to vertical edges; Sobel x/y estimate the horizontal/vertical
    derivative; ``diagonal`` is a derivative across the main (\\) diagonal: it responds most to
    edges running like \\, almost as much to vertical and horizontal ones, and not at all to edges
    running like / (each / line of the kernel sums to 0); ``laplacian`` is a
    second derivative (responds to any edge and to spots); ``box_blur``/``gaussian_blur`` average.
    """
    kernels = {
        "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "edge": [[1, -1]],
        "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "diagonal": [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],
        "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "box_blur": [[1 / 9] * 3] * 3,
        "gaussian_blur": [
            [1 / 16, 2 / 16, 1 / 16],
            [2 / 16, 4 / 16, 2 / 16],
            [1 / 16, 2 / 16, 1 / 16],
        ],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    }
    return {name: torch.tensor(values, dtype=torch.float32) for name, values in kernels.items()}


# --------------------------------------------------------------------------------------------------
# 03 Multi-channel (多通道) convolution
# --------------------------------------------------------------------------------------------------


def _check_channels(X, K, k_axis):
    if X.shape[0] != K.shape[k_axis]:
        raise ValueError(
            _(
                "X has {x_channels} input channels but K expects {k_channels} "
                "(X shape {x_shape}, K shape {k_shape})"
            ).format(
                x_channels=X.shape[0],
                k_channels=K.shape[k_axis],
                x_shape=tuple(X.shape),
                k_shape=tuple(K.shape),
            )
        )


def corr2d_multi_in(X, K):
    """Cross-correlate each input channel with its own kernel slice and sum over channels.

    X: c×h×w, K: c×kh×kw  →  (h−kh+1)×(w−kw+1).
    """
    check_tensor("X", X, (3,), "c×h×w")
    check_tensor("K", K, (3,), "c×kh×kw")
    _check_channels(X, K, k_axis=0)
    check_fits(X.shape[1:], K.shape[1:], (0, 0), N_("kernel K"))
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    """One multi-input cross-correlation per output channel, stacked.

    X: ci×h×w, K: co×ci×kh×kw  →  co×(h−kh+1)×(w−kw+1).
    """
    check_tensor("X", X, (3,), "ci×h×w")
    check_tensor("K", K, (4,), "co×ci×kh×kw")
    _check_channels(X, K, k_axis=1)
    check_fits(X.shape[1:], K.shape[2:], (0, 0), N_("kernel K"))
    return torch.stack([corr2d_multi_in(X, k) for k in K])


def corr2d_multi_in_out_1x1(X, K):
    """A 1×1 convolution as one matrix product: a fully connected layer applied at every pixel.

    X: ci×h×w, K: co×ci×1×1  →  co×h×w.
    """
    check_tensor("X", X, (3,), "ci×h×w")
    check_tensor("K", K, (4,), "co×ci×1×1")
    if K.shape[2:] != (1, 1):
        raise ValueError(
            _("K must be a 1×1 kernel of shape co×ci×1×1, got shape {shape}").format(
                shape=tuple(K.shape)
            )
        )
    _check_channels(X, K, k_axis=1)
    ci, h, w = X.shape
    Y = K.reshape(K.shape[0], ci) @ X.reshape(ci, h * w)  # (co × ci) @ (ci × pixels)
    return Y.reshape(-1, h, w)


# --------------------------------------------------------------------------------------------------
# 04 Pooling layers (汇聚层)
# --------------------------------------------------------------------------------------------------


def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    """Max or average pooling (最大汇聚层 / 平均汇聚层) from scratch, like nn.Max/AvgPool2d.

    stride defaults to the window size. Max pooling pads with −inf (padding never wins); average
    pooling pads with 0 and divides by the full window size (PyTorch's ``count_include_pad=True``).
    pool_size, stride and padding are ints or (h, w) pairs; padding may be at most half the window.

    X: h×w or c×h×w  →  h'×w' or c×h'×w', with h' = floor((h + 2q − k) / s) + 1 for a window
    of k rows and padding q (the same for w'). Each channel is pooled on its own.
    """
    check_tensor("X", X, (2, 3), N_("h×w or c×h×w"))
    kh, kw = pair("pool_size", pool_size, minimum=1)
    sh, sw = pair("stride", (kh, kw) if stride is None else stride, minimum=1)
    qh, qw = pair("padding", padding, minimum=0)
    check_choice("mode", mode, ("max", "avg"))
    if 2 * qh > kh or 2 * qw > kw:
        raise ValueError(
            _("padding {padding!r} must be at most half of pool_size {pool_size!r}").format(
                padding=padding, pool_size=pool_size
            )
        )
    check_fits(X.shape[-2:], (kh, kw), (qh, qw), "pool_size")
    fill = float("-inf") if mode == "max" else 0.0
    X = F.pad(X, (qw, qw, qh, qh), value=fill)
    out_h = (X.shape[-2] - kh) // sh + 1
    out_w = (X.shape[-1] - kw) // sw + 1
    Y = torch.zeros(*X.shape[:-2], out_h, out_w, dtype=X.dtype, device=X.device)
    for i in range(out_h):
        for j in range(out_w):
            window = X[..., i * sh : i * sh + kh, j * sw : j * sw + kw]
            Y[..., i, j] = window.amax(dim=(-2, -1)) if mode == "max" else window.mean(dim=(-2, -1))
    return Y


# --------------------------------------------------------------------------------------------------
# 05 LeNet
# --------------------------------------------------------------------------------------------------

LENET_VARIANTS = ("notes", "lenet5", "modern")
# Mean and standard deviation of the 60 000 Fashion-MNIST training pixels in [0, 1]: training and
# prediction standardise inputs with them, so the network sees values centred on 0 with unit spread.
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530


def _xavier_init(net):
    """Xavier-uniform weights and zero biases for every convolution and linear layer.

    Xavier (Glorot and Bengio, 2010) draws weights with variance 2 / (fan_in + fan_out), which keeps
    the variance of the signals (forward) and of the gradients (backward) about the same from layer
    to layer. d2l's ``train_ch6`` draws its LeNet's weights the same way (``xavier_uniform_``) but
    keeps PyTorch's default biases (uniform in ±1/sqrt(fan_in)); these are zero here.
    """
    for layer in net.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return net


def lenet(variant="notes"):
    """Build a LeNet for 1×28×28 images and 10 classes (input N×1×28×28, output N×10 logits).

    ``"notes"``: the source notes' network: d2l's LeNet with padding 1 in the second convolution
    and the second pooling (16·7·7 = 784 features) and no 84-unit layer (784 → 120 → 10; 97 982
    parameters). ``"lenet5"``: d2l's LeNet (16·5·5 → 120 → 84 → 10, sigmoid, average pooling;
    61 706 parameters), a simplification of LeNet-5 (LeCun et al. 1998), which took unpadded 32×32
    inputs and used a scaled tanh, trainable subsampling, a sparsely connected C3 (1 516
    parameters) and RBF outputs: about 60 000 trainable parameters. ``"modern"``: the notes
    network's layout with batch-norm, ReLU and max-pooling (< 100 000 parameters). Weights are
    Xavier-initialised from torch's global generator (seed it first).
    """
    check_choice("variant", variant, LENET_VARIANTS)
    if variant == "notes":
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5, padding=1), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, padding=1),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 120), nn.Sigmoid(), nn.Linear(120, 10),
        )  # fmt: skip
    elif variant == "lenet5":
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10),
        )  # fmt: skip
    else:  # batch-norm makes the biases of the layers before it redundant
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, padding=1),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 120, bias=False), nn.BatchNorm1d(120), nn.ReLU(),
            nn.Linear(120, 10),
        )  # fmt: skip
    return _xavier_init(net)


def standardize(images):
    """Map N×1×28×28 images in [0, 1] to the standardised inputs the trained networks expect."""
    return (images - FASHION_MNIST_MEAN) / FASHION_MNIST_STD


def train_epoch(net, images, labels, optimizer, batch_size=256, scheduler=None, generator=None):
    """One epoch of minibatch SGD, as lesson 05 writes it out: shuffle, then for every batch
    forward, loss, backward, step. images N×1×28×28 (as the network takes them), labels N int64;
    ``scheduler`` (if any) steps after every batch, ``generator`` draws the shuffle. Returns the
    mean training loss of the epoch."""
    net.train()
    order = torch.randperm(len(images), generator=generator)
    total_loss = 0.0
    for start in range(0, len(images), batch_size):
        batch = order[start : start + batch_size]
        x, y = images[batch], labels[batch]
        loss = F.cross_entropy(net(x), y)  # the batch's mean of −log softmax(logits)[label]
        optimizer.zero_grad()  # .grad accumulates until it is cleared
        loss.backward()  # the gradient of the loss with respect to every parameter
        optimizer.step()  # every parameter moves against its gradient
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.item() * len(y)
    return total_loss / len(images)


def accuracy(net, images, labels, batch_size=1000):
    """The fraction of N images (N×1×28×28) whose most probable class is their label (N)."""
    net.eval()
    with torch.inference_mode():
        correct = sum(
            (net(images[i : i + batch_size]).argmax(dim=1) == labels[i : i + batch_size]).sum()
            for i in range(0, len(images), batch_size)
        )
    return correct.item() / len(images)


def prepare_drawing(ink, size=28):
    """Turn a drawing into an input like Fashion-MNIST's: ink h×w in [0, 1] → size×size in [0, 1].

    Zalando made Fashion-MNIST from product photos: the object, light on a black background, was
    trimmed to its bounding box, scaled so that its longer side is 28 pixels, and centred. A
    drawing gets the same treatment: its ink (1 = full ink) becomes the light object, the empty
    paper the black background; the bounding box of the ink is scaled (with antialiasing) so that
    its longer side is ``size`` and centred. A drawing without ink gives an all-black image.
    The network's standardisation follows in ``predict`` / ``predict_probabilities``.
    """
    check_tensor("ink", ink, (2,), "h×w")
    if ink.min() < 0 or ink.max() > 1:
        raise ValueError(
            _("ink values must lie in [0, 1], got {low:.3g}..{high:.3g}").format(
                low=ink.min().item(), high=ink.max().item()
            )
        )
    image = torch.zeros(size, size)
    rows, cols = torch.nonzero(ink > 0, as_tuple=True)
    if len(rows) == 0:
        return image
    box = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = size / max(box.shape)
    height, width = (max(1, round(side * scale)) for side in box.shape)
    scaled = F.interpolate(box[None, None], (height, width), mode="bilinear", antialias=True)
    top, left = (size - height) // 2, (size - width) // 2
    image[top : top + height, left : left + width] = scaled[0, 0].clamp(0, 1)
    return image


# --------------------------------------------------------------------------------------------------
# 06 Inside a trained LeNet
# --------------------------------------------------------------------------------------------------


def checkpoint_path(variant="notes", seed=0):
    """The file that keeps the run of ``lenet(variant)`` trained with the lesson's recipe and
    ``seed``: under build/checkpoints/ (git-ignored, created here), so running a lesson writes no
    tracked file."""
    check_choice("variant", variant, LENET_VARIANTS)
    check_int("seed", seed, 0)
    folder = REPO_ROOT / "build" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"lenet-{variant}-seed{seed}.pt"


def trained_lenet(data, variant="notes", seed=0, progress=True):
    """The network lesson 05 trains, and its history: ``lenet(variant)`` built after
    ``torch.manual_seed(seed)`` and trained by ``train`` with the lesson's recipe. A finished run in
    ``checkpoint_path(variant, seed)`` is loaded instead of training again (same weights either
    way); otherwise it is trained and kept there. Returns (net, history)."""
    torch.manual_seed(seed)
    net = lenet(variant)
    train = importlib.import_module("convlab.training").train
    history = train(
        net, data, seed=seed, checkpoint=checkpoint_path(variant, seed), progress=progress
    )
    return net, history


# --------------------------------------------------------------------------------------------------
# The machinery, re-exported from convlab on first use (PEP 562 module __getattr__)
# --------------------------------------------------------------------------------------------------

_REEXPORTS = {
    "convlab.data": [
        "FashionMNIST", "load_fashion_mnist", "DATA_ENV_VAR", "CLASS_NAMES", "class_name",
        "class_names",
    ],
    "convlab.plotting": [
        "show_images", "show_heatmap", "figure_png", "plot_history", "draw_architecture",
        "plot_time_to_accuracy",
    ],
    "convlab.training": [
        "train", "LESSON_RECIPE", "predict", "predict_probabilities", "pick_device",
    ],
    "convlab.reference": ["torch_corr2d", "torch_pool2d"],
    "convlab.fonts": ["use_cjk_font"],
    "convlab.checks": ["without"],
    "convlab.language": ["set_language", "language"],
    "convlab.widgets": [
        "ConvShapeExplorer", "KernelEditor", "PoolingExplorer", "LeNetExplorer",
        "editor_presets",
        "KERNEL_ENTRY_BOUND",
    ],
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _REEXPORTS.items() for name in names}


def __getattr__(name):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_MODULE_OF))


def _show_failed_checks_in_one_line():
    """In an IPython kernel, a failed check cell ``assert`` reads as one line (convlab.checks)."""
    ipython = sys.modules.get("IPython")  # never imported here: only a running shell matters
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        importlib.import_module("convlab.checks").show_failed_checks_in_one_line(shell)


_show_failed_checks_in_one_line()


def _start_in_the_editions_language():
    """A kernel started for a notebook of the Chinese edition speaks Chinese from its first cell."""
    if (chosen := edition_language()) != "en":
        importlib.import_module("convlab.language").set_language(chosen)


_start_in_the_editions_language()
