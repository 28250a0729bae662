"""Shared code for the "Convolutions to LeNet" notebooks.

Every function here is born in a lesson that explains it, the way d2l's ``d2l/torch.py`` is built.
The sections follow the notebooks:

    01 cross-correlation   corr2d, corr2d_vectorized, Conv2D, conv_output_shape
    02 edge detection      edge_image, classic_kernels
    03 multi-channel       corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1
    04 pooling             pool2d
    data                   load_fashion_mnist
    plotting               show_images, show_heatmap, figure_png
    05 LeNet               lenet, train, predict, standardize, pick_device, plot_history
    widgets                ConvShapeExplorer, KernelEditor, PoolingExplorer

Public functions check their arguments and raise ``TypeError``/``ValueError`` messages that name the
argument, what was received and what was expected. Shapes in docstrings use h×w for height×width.
"""

import gzip
import os
import shutil
from pathlib import Path
from typing import NamedTuple

import ipywidgets as widgets
import torch
import torch.nn.functional as F
from torch import nn

REPO_ROOT = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------------------------
# Argument checks shared by the public functions (private)
# ---------------------------------------------------------------------------------------------------

def _check_tensor(name, x, ndims, layout):
    """Raise unless ``x`` is a non-empty floating-point tensor with a dimension count in ``ndims``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.dim() not in ndims:
        raise ValueError(f"{name} must have shape {layout} ({' or '.join(map(str, ndims))} dimensions), "
                         f"got shape {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype} (use {name}.float())")


def _pair(name, value, minimum):
    """Turn an int or a pair of ints into a pair, checking each entry is an int ≥ ``minimum``."""
    pair = (value, value) if isinstance(value, int) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {value!r}")
    return tuple(pair)


def _check_fits(input_hw, kernel_hw, padding_hw, what):
    """Raise unless a kernel fits inside the (padded) input in both directions."""
    padded = tuple(n + 2 * p for n, p in zip(input_hw, padding_hw))
    if any(k > n for k, n in zip(kernel_hw, padded)):
        raise ValueError(f"{what} {tuple(kernel_hw)} is larger than the padded input {padded} "
                         f"(input {tuple(input_hw)}, padding {tuple(padding_hw)})")


# ---------------------------------------------------------------------------------------------------
# 01 Cross-correlation (互相关运算)
# ---------------------------------------------------------------------------------------------------

def corr2d(X, K):
    """2-D cross-correlation written as two loops, the way the formula reads.

    Y[i, j] = sum_a sum_b X[i + a, j + b] * K[a, b]

    X: h×w input, K: kh×kw kernel  →  (h−kh+1)×(w−kw+1) output. Differentiable in X and K.
    """
    _check_tensor("X", X, (2,), "h×w")
    _check_tensor("K", K, (2,), "kh×kw")
    _check_fits(X.shape, K.shape, (0, 0), "kernel K")
    kh, kw = K.shape
    Y = torch.zeros(X.shape[0] - kh + 1, X.shape[1] - kw + 1, dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
    return Y


def corr2d_vectorized(X, K):
    """The same cross-correlation as ``corr2d`` without Python loops.

    ``F.unfold`` copies every kh×kw window into a column (im2col); one matrix product with the
    flattened kernel then computes all outputs at once.

    X: h×w, or n×h×w for a batch of n images; K: kh×kw  →  (h−kh+1)×(w−kw+1), or n×(h−kh+1)×(w−kw+1).
    """
    _check_tensor("X", X, (2, 3), "h×w or n×h×w")
    _check_tensor("K", K, (2,), "kh×kw")
    _check_fits(X.shape[-2:], K.shape, (0, 0), "kernel K")
    h, w = X.shape[-2:]
    kh, kw = K.shape
    columns = F.unfold(X.reshape(-1, 1, h, w), (kh, kw))          # n × (kh·kw) × (number of windows)
    Y = (K.reshape(1, -1) @ columns).reshape(-1, h - kh + 1, w - kw + 1)
    return Y.reshape(*X.shape[:-2], h - kh + 1, w - kw + 1)


class Conv2D(nn.Module):
    """A convolutional layer built on ``corr2d``: output = corr2d(x, weight) + bias.

    ``weight`` (kh×kw) and ``bias`` (1 value) are the parameters training learns.
    forward: x h×w  →  (h−kh+1)×(w−kw+1).
    """

    def __init__(self, kernel_size):
        super().__init__()
        kh, kw = _pair("kernel_size", kernel_size, minimum=1)
        self.weight = nn.Parameter(torch.rand(kh, kw))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    """Output size of a convolution or pooling window: floor((n + 2p − k) / s) + 1 per direction.

    Each argument is an int (same for height and width) or an (h, w) pair. Returns an int when
    every argument is an int, otherwise an (h, w) tuple.
    """
    n = _pair("input_size", input_size, minimum=1)
    k = _pair("kernel_size", kernel_size, minimum=1)
    p = _pair("padding", padding, minimum=0)
    s = _pair("stride", stride, minimum=1)
    _check_fits(n, k, p, "kernel_size")
    out = tuple((ni + 2 * pi - ki) // si + 1 for ni, ki, pi, si in zip(n, k, p, s))
    all_ints = all(isinstance(v, int) for v in (input_size, kernel_size, padding, stride))
    return out[0] if all_ints else out


# ---------------------------------------------------------------------------------------------------
# 02 Edge detection, feature maps (特征映射) and receptive fields (感受野)
# ---------------------------------------------------------------------------------------------------

def edge_image():
    """The 6×8 toy image of the edge-detection lesson: 1 everywhere except 0 in columns 2–5."""
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    return X


def classic_kernels():
    """Hand-designed kernels by name, as float tensors (3×3 except the 1×2 ``edge`` kernel).

    ``edge`` [1, −1] responds to vertical edges; Sobel x/y estimate the horizontal/vertical
    derivative; ``diagonal`` responds to edges along the main diagonal; ``laplacian`` is a
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
        "gaussian_blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    }
    return {name: torch.tensor(values, dtype=torch.float32) for name, values in kernels.items()}


# ---------------------------------------------------------------------------------------------------
# 03 Multi-channel (多通道) convolution
# ---------------------------------------------------------------------------------------------------

def _check_channels(X, K, k_axis):
    if X.shape[0] != K.shape[k_axis]:
        raise ValueError(f"X has {X.shape[0]} input channels but K expects {K.shape[k_axis]} "
                         f"(X shape {tuple(X.shape)}, K shape {tuple(K.shape)})")


def corr2d_multi_in(X, K):
    """Cross-correlate each input channel with its own kernel slice and sum over channels.

    X: c×h×w, K: c×kh×kw  →  (h−kh+1)×(w−kw+1).
    """
    _check_tensor("X", X, (3,), "c×h×w")
    _check_tensor("K", K, (3,), "c×kh×kw")
    _check_channels(X, K, k_axis=0)
    _check_fits(X.shape[1:], K.shape[1:], (0, 0), "kernel K")
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    """One multi-input cross-correlation per output channel, stacked.

    X: ci×h×w, K: co×ci×kh×kw  →  co×(h−kh+1)×(w−kw+1).
    """
    _check_tensor("X", X, (3,), "ci×h×w")
    _check_tensor("K", K, (4,), "co×ci×kh×kw")
    _check_channels(X, K, k_axis=1)
    _check_fits(X.shape[1:], K.shape[2:], (0, 0), "kernel K")
    return torch.stack([corr2d_multi_in(X, k) for k in K])


def corr2d_multi_in_out_1x1(X, K):
    """A 1×1 convolution as one matrix product: a fully connected layer applied at every pixel.

    X: ci×h×w, K: co×ci×1×1  →  co×h×w.
    """
    _check_tensor("X", X, (3,), "ci×h×w")
    _check_tensor("K", K, (4,), "co×ci×1×1")
    if K.shape[2:] != (1, 1):
        raise ValueError(f"K must be a 1×1 kernel of shape co×ci×1×1, got shape {tuple(K.shape)}")
    _check_channels(X, K, k_axis=1)
    ci, h, w = X.shape
    Y = K.reshape(K.shape[0], ci) @ X.reshape(ci, h * w)          # (co × ci) @ (ci × pixels)
    return Y.reshape(-1, h, w)


# ---------------------------------------------------------------------------------------------------
# 04 Pooling layers (汇聚层)
# ---------------------------------------------------------------------------------------------------

def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    """Max or average pooling (最大汇聚层 / 平均汇聚层) from scratch, like nn.MaxPool2d / nn.AvgPool2d.

    stride defaults to the window size. Max pooling pads with −inf (padding never wins); average
    pooling pads with 0 and divides by the full window size (PyTorch's ``count_include_pad=True``).
    pool_size, stride and padding are ints or (h, w) pairs; padding may be at most half the window.

    X: h×w or c×h×w  →  h'×w' or c×h'×w', with h' = floor((h + 2p − ph) / s) + 1 (same for w').
    Each channel is pooled on its own, so the channel count is unchanged.
    """
    _check_tensor("X", X, (2, 3), "h×w or c×h×w")
    ph, pw = _pair("pool_size", pool_size, minimum=1)
    sh, sw = _pair("stride", (ph, pw) if stride is None else stride, minimum=1)
    pad_h, pad_w = _pair("padding", padding, minimum=0)
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    if 2 * pad_h > ph or 2 * pad_w > pw:
        raise ValueError(f"padding {padding!r} must be at most half of pool_size {pool_size!r}")
    _check_fits(X.shape[-2:], (ph, pw), (pad_h, pad_w), "pool_size")
    fill = float("-inf") if mode == "max" else 0.0
    X = F.pad(X, (pad_w, pad_w, pad_h, pad_h), value=fill)
    out_h = (X.shape[-2] - ph) // sh + 1
    out_w = (X.shape[-1] - pw) // sw + 1
    Y = torch.zeros(*X.shape[:-2], out_h, out_w, dtype=X.dtype, device=X.device)
    for i in range(out_h):
        for j in range(out_w):
            window = X[..., i * sh:i * sh + ph, j * sw:j * sw + pw]
            Y[..., i, j] = window.amax(dim=(-2, -1)) if mode == "max" else window.mean(dim=(-2, -1))
    return Y


# ---------------------------------------------------------------------------------------------------
# Data: Fashion-MNIST
# ---------------------------------------------------------------------------------------------------

DATA_ENV_VAR = "FASHION_MNIST_ROOT"
DATA_CACHE = REPO_ROOT / "data"                       # git-ignored
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_RAW_FILES = {  # torchvision's raw file name → number of records it must hold
    "train-images-idx3-ubyte": 60_000, "train-labels-idx1-ubyte": 60_000,
    "t10k-images-idx3-ubyte": 10_000, "t10k-labels-idx1-ubyte": 10_000,
}


class FashionMNIST(NamedTuple):
    """Fashion-MNIST as tensors: images N×1×28×28 float32 in [0, 1], labels N int64 in 0..9."""
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: list


def _raw_folder(root):
    return Path(root) / "FashionMNIST" / "raw"


def _has_raw_files(root):
    return all((_raw_folder(root) / name).is_file() for name in _RAW_FILES)


def _unpack_debian_files(source, root):
    """Decompress Debian's four ``.gz`` files into torchvision's layout under ``root``.

    Each file is written to a temporary name and renamed when complete, so an interrupted or
    failed unpacking never leaves a half-written file that looks finished.
    """
    raw = _raw_folder(root)
    raw.mkdir(parents=True, exist_ok=True)
    for name in _RAW_FILES:
        target, partial = raw / name, raw / (name + ".partial")
        try:
            with gzip.open(source / (name + ".gz"), "rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (OSError, EOFError) as error:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"could not decompress {source / (name + '.gz')}: {error}") from error
        partial.replace(target)


def _load_split(root, train):
    """Read one split through torchvision, turning a damaged file into an error that names it."""
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    prefix = "train" if train else "t10k"
    try:
        dataset = TorchvisionFashionMNIST(root, train=train, download=False)
    except Exception as error:   # torchvision raises assorted errors for a damaged IDX file
        raise RuntimeError(f"Fashion-MNIST file in {_raw_folder(root)} ({prefix}-*-idx*-ubyte) is damaged "
                           f"or truncated: {error}. Delete it and load again.") from error
    images, labels = dataset.data, dataset.targets
    expected = _RAW_FILES[f"{prefix}-images-idx3-ubyte"]
    for name, tensor in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        if len(tensor) != expected:
            raise RuntimeError(f"{_raw_folder(root) / name} holds {len(tensor)} records, expected {expected}: "
                               f"the file is truncated. Delete it and load again.")
    if images.shape[1:] != (28, 28):
        raise RuntimeError(f"{_raw_folder(root) / (prefix + '-images-idx3-ubyte')} holds images of shape "
                           f"{tuple(images.shape[1:])}, expected 28×28")
    if labels.min() < 0 or labels.max() > 9:
        raise RuntimeError(f"{_raw_folder(root) / (prefix + '-labels-idx1-ubyte')} holds labels outside 0..9")
    return images.unsqueeze(1).float() / 255, labels.long(), dataset.classes


def _find_or_fetch_root(root):
    """Return a folder whose ``FashionMNIST/raw`` holds the four files, trying each source in turn."""
    candidates = [root, os.environ.get(DATA_ENV_VAR), DATA_CACHE]
    for candidate in candidates:
        if candidate and _has_raw_files(candidate):
            return Path(candidate)
    if all((DEBIAN_FASHION_MNIST / (name + ".gz")).is_file() for name in _RAW_FILES):
        _unpack_debian_files(DEBIAN_FASHION_MNIST, DATA_CACHE)
        return DATA_CACHE
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST
    try:
        TorchvisionFashionMNIST(DATA_CACHE, train=True, download=True)
        TorchvisionFashionMNIST(DATA_CACHE, train=False, download=True)
        return DATA_CACHE
    except Exception as error:
        raise FileNotFoundError(
            "Fashion-MNIST was not found and could not be downloaded. Get it one of three ways:\n"
            f"  1. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
            f"(installs it under {DEBIAN_FASHION_MNIST});\n"
            f"  2. with a network connection: run load_fashion_mnist() again and torchvision downloads it "
            f"into {DATA_CACHE};\n"
            f"  3. copy the four decompressed files ({', '.join(_RAW_FILES)}) into ROOT/FashionMNIST/raw/ "
            f"and pass root=ROOT or set {DATA_ENV_VAR}=ROOT.\n"
            f"(download error: {error})") from error


def load_fashion_mnist(root=None):
    """Load the real Fashion-MNIST data set through ``torchvision.datasets.FashionMNIST``.

    Looks, in order, in: ``root``; the folder named by $FASHION_MNIST_ROOT; the repository's
    ``data/`` cache; Debian's ``/usr/share/datasets/fashion-mnist`` (decompressed into the cache);
    torchvision's download (into the cache). A folder counts when ``FOLDER/FashionMNIST/raw/`` holds
    the four decompressed IDX files. A truncated or corrupt file raises an error naming it.

    Returns FashionMNIST(train_images 60000×1×28×28 float32 in [0, 1], train_labels 60000 int64,
    test_images 10000×1×28×28, test_labels 10000, classes: the 10 class names).
    """
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or pathlib.Path) or None, got {type(root).__name__}")
    found = _find_or_fetch_root(root)
    train_images, train_labels, classes = _load_split(found, train=True)
    test_images, test_labels, _ = _load_split(found, train=False)
    return FashionMNIST(train_images, train_labels, test_images, test_labels, list(classes))


# ---------------------------------------------------------------------------------------------------
# Plotting
# ---------------------------------------------------------------------------------------------------

def show_images(images, titles=None, ncols=8, scale=1.4, cmap="gray"):
    """Show a grid of grey-scale images with optional titles.

    images: n×h×w or n×1×h×w tensor (or a list of h×w tensors); titles: n strings or None.
    Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    images = [img.detach().cpu().squeeze() for img in images]
    if not images:
        raise ValueError("images must hold at least one image, got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image: got {len(titles)} titles for {len(images)} images")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows * 1.15), squeeze=False)
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
    import matplotlib.pyplot as plt

    if not isinstance(matrix, torch.Tensor) or matrix.dim() != 2:
        shape = tuple(matrix.shape) if isinstance(matrix, torch.Tensor) else type(matrix).__name__
        raise ValueError(f"matrix must be a 2-D tensor (h×w), got {shape}")
    values = matrix.detach().cpu().float()
    limit = max(values.abs().max().item(), 1e-12)   # symmetric limits put 0 at the centre colour
    if ax is None:
        _, ax = plt.subplots(figsize=(max(3, values.shape[1] * 0.5), max(2.5, values.shape[0] * 0.45)))
    image = ax.imshow(values.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if annotate:
        for i, row in enumerate(values.tolist()):
            for j, v in enumerate(row):
                colour = "white" if abs(v) > 0.6 * limit else "black"   # readable on dark cells
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8, color=colour)
    if title:
        ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def figure_png(fig):
    """Render a matplotlib figure to PNG bytes and close it (for an ``ipywidgets.Image``, which redraws
    faster than an ``Output`` widget)."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# 05 LeNet: the networks, training with checkpoints
# ---------------------------------------------------------------------------------------------------

LENET_VARIANTS = ("seed", "lenet5", "modern")
# Mean and standard deviation of the 60 000 Fashion-MNIST training pixels in [0, 1]: train and
# predict standardise inputs with them, so the network sees values centred on 0 with unit spread.
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530


def _xavier_init(net):
    """Xavier-uniform weights and zero biases for every convolution and linear layer (keeps sigmoid
    activations out of their flat ends at the start of training)."""
    for layer in net.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return net


def lenet(variant="seed"):
    """Build a LeNet for 1×28×28 images and 10 classes (input N×1×28×28, output N×10 logits).

    ``"seed"``: the source notes' network (sigmoid, average pooling, 16·7·7 → 120 → 10; 97 982 parameters).
    ``"lenet5"``: the classic LeNet-5 of LeCun et al. 1998 (16·5·5 → 120 → 84 → 10; 61 706 parameters).
    ``"modern"``: the seed layout with batch-norm, ReLU and max-pooling (< 100 000 parameters).
    Weights are Xavier-initialised from torch's global random generator (seed it first).
    """
    if variant not in LENET_VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(map(repr, LENET_VARIANTS))}, got {variant!r}")
    if variant == "seed":
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5, padding=1), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, padding=1),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 120), nn.Sigmoid(), nn.Linear(120, 10))
    elif variant == "lenet5":
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
            nn.Linear(84, 10))
    else:  # batch-norm makes the biases of the layers before it redundant
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, padding=1),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 120, bias=False), nn.BatchNorm1d(120), nn.ReLU(),
            nn.Linear(120, 10))
    return _xavier_init(net)


def standardize(images):
    """Map N×1×28×28 images in [0, 1] to the standardised inputs the trained networks expect."""
    return (images - FASHION_MNIST_MEAN) / FASHION_MNIST_STD


def pick_device():
    """The fastest device present: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def predict(net, images, batch_size=1000):
    """Class predictions (N int64) of ``net`` for N×1×28×28 images in [0, 1], on the net's device."""
    _check_tensor("images", images, (4,), "N×1×28×28")
    device = next(net.parameters()).device
    net.eval()
    with torch.inference_mode():
        return torch.cat([net(standardize(images[i:i + batch_size].to(device))).argmax(dim=1).cpu()
                          for i in range(0, len(images), batch_size)])


def _check_labels(name, labels, images_name, images, num_classes):
    """Raise unless ``labels`` is a 1-D int64 tensor with one entry per image, each in 0..num_classes-1."""
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.dtype != torch.int64:
        got = f"dtype {labels.dtype}, shape {tuple(labels.shape)}" if isinstance(labels, torch.Tensor) \
            else type(labels).__name__
        raise TypeError(f"{name} must be a 1-D int64 tensor of class indices, got {got}")
    if len(labels) != len(images):
        raise ValueError(f"{name} must have one label per image: got {len(labels)} labels "
                         f"for {len(images)} {images_name}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"{name} must lie in 0..{num_classes - 1} (the network has {num_classes} outputs), "
                         f"got values from {labels.min().item()} to {labels.max().item()}")


def _check_training_data(net, data):
    """Raise before any epoch unless ``data`` fits ``net``: image shapes, label range, lengths."""
    fields = ("train_images", "train_labels", "test_images", "test_labels")
    if not all(hasattr(data, field) for field in fields):
        raise TypeError(f"data must have the fields {', '.join(fields)} (e.g. helpers.FashionMNIST), "
                        f"got {type(data).__name__}")
    _check_tensor("data.train_images", data.train_images, (4,), "N×1×28×28")
    _check_tensor("data.test_images", data.test_images, (4,), "N×1×28×28")
    if data.train_images.shape[1:] != data.test_images.shape[1:]:
        raise ValueError(f"data.train_images and data.test_images must hold images of the same shape, got "
                         f"{tuple(data.train_images.shape[1:])} and {tuple(data.test_images.shape[1:])}")
    was_training = net.training
    net.eval()   # a probe in eval mode changes no batch-norm statistics
    try:
        with torch.inference_mode():
            probe = net(data.train_images[:1].to(next(net.parameters()).device))
    except RuntimeError as error:
        raise ValueError(f"data.train_images has images of shape {tuple(data.train_images.shape[1:])}, "
                         f"which the network cannot take (LeNet expects 1×28×28): {error}") from error
    finally:
        net.train(was_training)
    if probe.dim() != 2:
        raise ValueError(f"net must output N×classes logits, got shape {tuple(probe.shape)} for one image")
    _check_labels("data.train_labels", data.train_labels, "train images", data.train_images, probe.shape[1])
    _check_labels("data.test_labels", data.test_labels, "test images", data.test_images, probe.shape[1])


def _shift_and_flip(images, generator):
    """Augment an N×C×h×w batch on its device: random horizontal flips, random shifts of up to 2 pixels."""
    n, _, h, w = images.shape
    flip = torch.rand(n, generator=generator).to(images.device) < 0.5
    images = torch.where(flip[:, None, None, None], images.flip(-1), images)
    # pad with the value of a background pixel, then cut a h×w window at a random offset per image
    padded = F.pad(images, (2, 2, 2, 2), value=standardize(torch.tensor(0.0)).item())
    dy, dx = (torch.randint(0, 5, (2, n), generator=generator).to(images.device))
    rows = (dy[:, None] + torch.arange(h, device=images.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=images.device))[:, None, None, :]
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


def _evaluate(net, images, labels, batch_size=1000):
    """Mean cross-entropy and accuracy of ``net`` on standardised images already on its device."""
    net.eval()
    total_loss, correct = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(images), batch_size):
            logits = net(images[i:i + batch_size])
            total_loss += F.cross_entropy(logits, labels[i:i + batch_size], reduction="sum").item()
            correct += (logits.argmax(dim=1) == labels[i:i + batch_size]).sum().item()
    return total_loss / len(images), correct / len(images)


def _save_checkpoint(path, state):
    """Write ``state`` to ``path`` atomically: a killed process leaves the old file or the new one, never half."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def _load_checkpoint(path, config, net, optimizer, scheduler, generator):
    """Restore a run from ``path`` into the given objects and return its history.

    Raises RuntimeError for an unreadable file and ValueError for one written by a different run,
    so a bad checkpoint never turns silently into a fresh start.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        saved_config = state["config"]
    except Exception as error:
        raise RuntimeError(f"checkpoint {path} is corrupt or not a train() checkpoint "
                           f"({type(error).__name__} while reading it); "
                           f"delete it to start training afresh") from error
    changed = {key: (saved_config.get(key), value) for key, value in config.items()
               if saved_config.get(key) != value}
    if changed:
        details = ", ".join(f"{key}: checkpoint {old!r}, now {new!r}" for key, (old, new) in changed.items())
        raise ValueError(f"checkpoint {path} was written by a different training run ({details}); "
                         f"pass the same settings, or another checkpoint path to start afresh")
    try:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    except (RuntimeError, ValueError, KeyError) as error:
        raise ValueError(f"checkpoint {path} does not fit this network or optimiser: {error}") from error
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return state["history"]


def _history_figure(history, epochs):
    """Two panels per epoch: training loss; training and test accuracy. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    loss_ax.plot(history["epoch"], history["train_loss"], "o-", label="train loss")
    loss_ax.plot(history["epoch"], history["test_loss"], "s--", label="test loss")
    acc_ax.plot(history["epoch"], history["train_acc"], "o-", label="train accuracy")
    acc_ax.plot(history["epoch"], history["test_acc"], "s--", label="test accuracy")
    for ax, name in ((loss_ax, "cross-entropy"), (acc_ax, "accuracy")):
        ax.set(xlabel="epoch", ylabel=name, xlim=(0.5, epochs + 0.5))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_history(history):
    """Plot a history returned by ``train``: loss and accuracy per epoch. Returns the figure."""
    return _history_figure(history, max(history["epoch"], default=1))


class _LivePlot:
    """A loss/accuracy plot that redraws in place in a notebook after every epoch."""

    def __init__(self, epochs):
        from IPython.display import display

        self.epochs = epochs
        self.handle = display(display_id=True)

    def update(self, history):
        from IPython.display import Image

        self.handle.update(Image(figure_png(_history_figure(history, self.epochs))))


def train(net, data, epochs=10, batch_size=64, lr=0.15, momentum=0.9, weight_decay=0.0,
          label_smoothing=0.0, augment=False, seed=0, device=None, checkpoint=None,
          progress=True, live_plot=False):
    """Train ``net`` with cross-entropy and SGD (momentum, one-cycle learning-rate schedule).

    data: anything with train_images N×1×28×28 float in [0, 1], train_labels N int64, test_images,
    test_labels (e.g. ``load_fashion_mnist()``). The images are standardised and moved to ``device``
    (None: CUDA, then MPS, then CPU) once; batches are cut by index from a seeded permutation.
    ``lr`` is the schedule's peak. ``augment=True`` adds random flips and 2-pixel shifts.
    ``checkpoint``: a file path; the run state is saved there after every epoch and, if the file
    exists, training resumes from it. ``progress`` shows tqdm bars, ``live_plot`` redraws the
    loss/accuracy plot in a notebook after every epoch.

    Returns the history: a dict of per-epoch lists (epoch, train_loss, train_acc, test_loss,
    test_acc, seconds). The same seed, data and settings give the same weights and history (``seed``
    also re-seeds torch's global generator, for layers such as dropout that draw from it).
    """
    from time import perf_counter

    from tqdm.auto import tqdm

    if not isinstance(net, nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool) or value < (0 if name == "seed" else 1):
            raise ValueError(f"{name} must be an int ≥ {0 if name == 'seed' else 1}, got {value!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    device = pick_device() if device is None else torch.device(device)
    net.to(device)
    _check_training_data(net, data)

    train_x, test_x = (standardize(x).to(device) for x in (data.train_images, data.test_images))
    train_y, test_y = data.train_labels.to(device), data.test_labels.to(device)
    steps_per_epoch = -(-len(train_x) // batch_size)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                    steps_per_epoch=steps_per_epoch)
    generator = torch.Generator().manual_seed(seed)   # shuffling and augmentation, saved in checkpoints
    torch.manual_seed(seed)                           # for layers that draw from the global generator
    config = dict(epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum, weight_decay=weight_decay,
                  label_smoothing=label_smoothing, augment=augment, seed=seed,
                  train_size=len(train_x), test_size=len(test_x))
    history = {key: [] for key in ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")}
    if checkpoint is not None and Path(checkpoint).exists():
        history = _load_checkpoint(checkpoint, config, net, optimizer, scheduler, generator)

    live = _LivePlot(epochs) if live_plot else None
    for epoch in tqdm(range(len(history["epoch"]) + 1, epochs + 1), desc="epochs", disable=not progress,
                      initial=len(history["epoch"]), total=epochs):
        start = perf_counter()
        net.train()
        order = torch.randperm(len(train_x), generator=generator).to(device)
        loss_sum, correct = torch.zeros((), device=device), torch.zeros((), device=device)
        for i in tqdm(range(0, len(train_x), batch_size), desc=f"epoch {epoch}", leave=False,
                      disable=not progress):
            index = order[i:i + batch_size]
            x, y = train_x[index], train_y[index]
            if augment:
                x = _shift_and_flip(x, generator)
            logits = net(x)
            loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            # summed on the device, read once per epoch: no per-batch synchronisation
            loss_sum += loss.detach() * len(y)
            correct += (logits.argmax(dim=1) == y).sum()
        test_loss, test_acc = _evaluate(net, test_x, test_y)
        for key, value in (("epoch", epoch), ("train_loss", loss_sum.item() / len(train_x)),
                           ("train_acc", correct.item() / len(train_x)), ("test_loss", test_loss),
                           ("test_acc", test_acc), ("seconds", perf_counter() - start)):
            history[key].append(value)
        if checkpoint is not None:
            _save_checkpoint(checkpoint, dict(
                config=config, history=history, model=net.state_dict(), optimizer=optimizer.state_dict(),
                scheduler=scheduler.state_dict(), generator=generator.get_state(),
                torch_rng=torch.get_rng_state()))
        if live is not None:
            live.update(history)
    net.eval()
    return history


# ---------------------------------------------------------------------------------------------------
# Interactive widgets (ipywidgets 8): ConvShapeExplorer (01), KernelEditor (02), PoolingExplorer (04)
# ---------------------------------------------------------------------------------------------------

# --- ConvShapeExplorer (notebook 01) ---

def _draw_conv_windows(input_size, kernel_size, padding, stride, output_size, window):
    """Draw the padded input grid with every window position and, when the kernel fits (``output_size``
    is not None), the output grid.

    Padding cells are grey, every window is outlined lightly with a dot at its centre, window number
    ``window`` (row-major) is drawn thick in red and its output cell is red too; hatched cells are
    never covered by a window (the floor in the formula drops them). Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    n, k, p, s, out = input_size, kernel_size, padding, stride, output_size or 0
    size = n + 2 * p
    covered = (out - 1) * s + k if out else 0          # rows/columns reached by some window
    cells = max(size, k)                               # both panels share this scale, so cells match in size
    fig, axes = plt.subplots(1, 2 if out else 1, figsize=(4.2 * (1 + out / cells) + 0.8 if out else 4.6, 4.6),
                             squeeze=False, gridspec_kw={"width_ratios": [size, out] if out else [1]})
    ax = axes[0, 0]
    for r in range(size):
        for c in range(size):
            is_padding = not (p <= r < p + n and p <= c < p + n)
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor="#c8c8c8" if is_padding else "white",
                                   edgecolor="#888888", linewidth=0.8,
                                   hatch="//" if out and max(r, c) >= covered else None))
    for i in range(out):
        for j in range(out):
            ax.add_patch(Rectangle((j * s, i * s), k, k, fill=False, edgecolor="#1f77b4", linewidth=1, alpha=0.35))
            ax.plot(j * s + k / 2, i * s + k / 2, "o", color="#1f77b4", markersize=4, alpha=0.7)
    padding_note = " (grey: padding)" if p else ""
    if out:
        i, j = divmod(window, out)
        ax.add_patch(Rectangle((j * s, i * s), k, k, facecolor="#d62728", alpha=0.15))
        ax.add_patch(Rectangle((j * s, i * s), k, k, fill=False, edgecolor="#d62728", linewidth=3))
        ax.set_title(f"padded input {size}×{size}{padding_note}\n{k}×{k} window {window + 1} of {out * out}, "
                     f"stride {s}", fontsize=12)
    else:
        ax.add_patch(Rectangle((0, 0), k, k, fill=False, edgecolor="#d62728", linewidth=3, linestyle="--"))
        ax.set_title(f"padded input {size}×{size}{padding_note}\na {k}×{k} kernel does not fit", fontsize=12)
    _finish_grid_axes(ax, size if out else cells, cells)
    if out:
        ax = axes[0, 1]
        for r in range(out):
            for c in range(out):
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor="#f4a6a6" if (r, c) == (i, j) else "white",
                                       edgecolor="#444444", linewidth=1))
        ax.set_title(f"output {out}×{out}", fontsize=12)
        _finish_grid_axes(ax, out, cells)
        notes = ["dots: window centres"] + (["hatched: never covered"] if covered < size else [])
        fig.supxlabel(";  ".join(notes), fontsize=11)
    fig.tight_layout()
    return fig


def _finish_grid_axes(ax, width, height):
    """Axes showing ``width`` cells across and ``height`` cells down, row 0 at the top, no ticks."""
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(height + 0.1, -0.1)
    ax.set_aspect("equal")
    ax.axis("off")


class ConvShapeExplorer:
    """Sliders for input size n, kernel size k, padding p and stride s (square, one channel).

    Shows the output size floor((n + 2p − k) / s) + 1 computed by ``conv_output_shape`` with the formula
    worked out, and a drawing of the padded input with every window position. A fifth slider steps the
    highlighted window through the positions. Display the object as the last expression of a cell.

    Computed state (updated on every change): ``output_size`` (int, or None when the kernel does not fit),
    ``shape_text`` (the worked formula, "" when invalid), ``message`` (why the setting is invalid, "" when
    valid), ``drawing_png`` (PNG bytes of the drawing, also in ``drawing.value``).
    """

    LIMITS = {"input_size": (1, 12), "kernel_size": (1, 7), "padding": (0, 3), "stride": (1, 4)}

    def __init__(self, input_size=8, kernel_size=3, padding=1, stride=2):
        for name, value in zip(self.LIMITS, (input_size, kernel_size, padding, stride)):
            low, high = self.LIMITS[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if not low <= value <= high:
                raise ValueError(f"{name} must be from {low} to {high} (the slider's range), got {value}")

        def slider(description, value, low, high, css_class):
            control = widgets.IntSlider(value=value, min=low, max=high, description=description,
                                        continuous_update=False, style={"description_width": "110px"})
            control.add_class(css_class)
            return control

        self.input_size = slider("input n", input_size, *self.LIMITS["input_size"], "shape-input")
        self.kernel_size = slider("kernel k", kernel_size, *self.LIMITS["kernel_size"], "shape-kernel")
        self.padding = slider("padding p", padding, *self.LIMITS["padding"], "shape-padding")
        self.stride = slider("stride s", stride, *self.LIMITS["stride"], "shape-stride")
        self.window = slider("window position", 0, 0, 0, "shape-window")
        self.output_text = widgets.HTML()
        self.output_text.add_class("shape-output")
        self.message_html = widgets.HTML()
        self.message_html.add_class("shape-message")
        self.drawing = widgets.Image(format="png")
        self.drawing.add_class("shape-drawing")
        controls = widgets.VBox([self.input_size, self.kernel_size, self.padding, self.stride, self.window,
                                 self.output_text, self.message_html], layout=widgets.Layout(width="380px"))
        # The drawing fills the rest of the row up to its natural width (set in _redraw, so it is never
        # blown up); below 480 px it wraps under the controls instead of shrinking further.
        self.drawing.layout = widgets.Layout(flex="1 1 480px", min_width="480px", height="auto",
                                             object_fit="contain")
        self.ui = widgets.HBox([controls, self.drawing],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        for control in (self.input_size, self.kernel_size, self.padding, self.stride):
            control.observe(self._on_shape_change, names="value")
        self.window.observe(self._on_window_change, names="value")
        self.output_size = None
        self.shape_text = self.message = ""
        self.drawing_png = b""
        self._resizing_window = False
        self._on_shape_change()

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)

    def _on_shape_change(self, change=None):
        n, k, p, s = (c.value for c in (self.input_size, self.kernel_size, self.padding, self.stride))
        try:
            self.output_size = conv_output_shape(n, k, p, s)
        except ValueError:
            self.output_size = None
            self.shape_text = ""
            self.message = (f"The {k}×{k} kernel is larger than the padded input "
                            f"{n} + 2·{p} = {n + 2 * p}: make the kernel smaller or add padding.")
        else:
            formula = f"output size = floor(({n} + 2·{p} − {k}) / {s}) + 1"
            worked = f"= floor({n + 2 * p - k} / {s}) + 1 = {self.output_size}"
            self.shape_text = f"{formula} {worked}"
            self.message = ""
        self.output_text.value = f"<b>{formula}<br>{worked}</b>" if self.shape_text else ""
        self.message_html.value = f"<span style='color:#b00'>{self.message}</span>" if self.message else ""
        # Lowering max may clamp the window value and fire _on_window_change: draw once, below.
        self._resizing_window = True
        try:
            self.window.max = (self.output_size or 1) ** 2 - 1
        finally:
            self._resizing_window = False
        self.window.disabled = self.output_size is None
        self._redraw()

    def _on_window_change(self, change):
        if not self._resizing_window:
            self._redraw()

    def _redraw(self):
        fig = _draw_conv_windows(self.input_size.value, self.kernel_size.value, self.padding.value,
                                 self.stride.value, self.output_size, self.window.value)
        self.drawing_png = figure_png(fig)
        self.drawing.layout.max_width = f"{int.from_bytes(self.drawing_png[16:20], 'big')}px"   # PNG header width
        self.drawing.value = self.drawing_png


# --- KernelEditor (notebook 02) ---

KERNEL_ENTRY_BOUND = 10.0       # each kernel entry in the editor lies in [−10, 10]


def _embed_centred(kernel, size):
    """Place a kh×kw kernel in the middle of a size×size zero kernel (one cell up/left of centre when
    kh or kw is even). kernel: kh×kw with kh, kw ≤ size  →  size×size."""
    kh, kw = kernel.shape
    top, left = (size - kh) // 2, (size - kw) // 2
    embedded = torch.zeros(size, size)
    embedded[top:top + kh, left:left + kw] = kernel
    return embedded


def _crop_centre(kernel, size):
    """The middle size×size block of a larger square kernel."""
    start = (kernel.shape[0] - size) // 2
    return kernel[start:start + size, start:start + size]


def editor_presets(size):
    """The KernelEditor's named kernels as size×size tensors (size 3 or 5).

    The ``classic_kernels`` are embedded centred in zeros; at size 5 the two blurs average over the
    whole 5×5 window instead (the Gaussian one with binomial weights 1 4 6 4 1).
    """
    if size not in (3, 5):
        raise ValueError(f"size must be 3 or 5, got {size!r}")
    classic = classic_kernels()
    labels = {"identity": "identity", "box blur": "box_blur", "Gaussian blur": "gaussian_blur",
              "sharpen": "sharpen", "Sobel x": "sobel_x", "Sobel y": "sobel_y", "Laplacian": "laplacian",
              "emboss": "emboss", "edge [1, -1]": "edge"}
    presets = {label: _embed_centred(classic[name], size) for label, name in labels.items()}
    if size == 5:
        binomial = torch.tensor([1., 4., 6., 4., 1.])
        presets["box blur"] = torch.full((5, 5), 1 / 25)
        presets["Gaussian blur"] = torch.outer(binomial, binomial) / 256
    return presets


def _check_editor_images(images, labels, classes):
    """Return (images n×h×w, labels n, class names), or (None, None, []) when no images are given."""
    if images is None:
        if labels is not None or classes is not None:
            raise ValueError("labels and classes describe images: pass images too, or none of the three")
        return None, None, []
    _check_tensor("images", images, (3, 4), "n×h×w or n×1×h×w")
    if images.dim() == 4:
        if images.shape[1] != 1:
            raise ValueError(f"images must have one channel (n×1×h×w), got shape {tuple(images.shape)}")
        images = images[:, 0]
    images = images.detach().cpu()
    if min(images.shape[-2:]) < 5:
        raise ValueError(f"images must be at least 5×5 so a 5×5 kernel fits, got shape {tuple(images.shape)}")
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.is_floating_point():
        raise TypeError(f"labels must be a 1-D integer tensor with one class index per image, got "
                        f"{tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__}")
    if len(labels) != len(images):
        raise ValueError(f"labels must have one entry per image: got {len(labels)} labels for {len(images)} images")
    if classes is None:
        classes = [str(c) for c in range(int(labels.max()) + 1)]
    if labels.min() < 0 or labels.max() >= len(classes):
        raise ValueError(f"labels must lie in 0..{len(classes) - 1} (one per class name), "
                         f"got {int(labels.min())}..{int(labels.max())}")
    return images, labels, list(classes)


class _FeatureMapFigure:
    """The KernelEditor's picture: the input (grey), its feature map and the feature map after ReLU side
    by side. Both maps share one colour bar: a diverging scale centred on 0 (blue < 0 < red), so the
    ReLU panel is the feature map with its blue part gone. Arrays of ≤ 64 values get them written in.

    The figure is built once and afterwards only its data change, because building axes and colour
    bars is most of the cost of a picture; another image or kernel shape rebuilds it. The layout is
    fixed, so it is saved without a tight bounding box (which would draw it twice) and kept open.
    """

    def __init__(self):
        self._shapes = None

    def _build(self, image_shape, map_shape):
        from matplotlib.figure import Figure   # not pyplot: nothing registers or keeps the figure globally

        self.fig = Figure(figsize=(10, 3.4), dpi=80)
        self.axes = [self.fig.add_axes([0.01 + 0.3 * i, 0.03, 0.27, 0.8]) for i in range(3)]
        panels = ((image_shape, "gray"), (map_shape, "RdBu_r"), (map_shape, "RdBu_r"))
        self.shown = [ax.imshow(torch.zeros(shape).numpy(), cmap=cmap) for ax, (shape, cmap) in zip(self.axes, panels)]
        self.colorbar = self.fig.colorbar(self.shown[1], cax=self.fig.add_axes([0.915, 0.08, 0.015, 0.7]))
        for ax in self.axes:
            ax.set_xticks([])
            ax.set_yticks([])
        self.value_labels = []
        self._shapes = (image_shape, map_shape)

    def png(self, image, feature_map, relu_map, image_title, map_title):
        """PNG bytes of the three panels. image: h×w; feature_map and relu_map: h'×w'."""
        import io

        if self._shapes != (tuple(image.shape), tuple(feature_map.shape)):
            self._build(tuple(image.shape), tuple(feature_map.shape))
        limit = max(feature_map.abs().max().item(), 1e-6)       # symmetric limits put 0 at the centre colour
        panels = (image, feature_map, relu_map)
        for shown, values in zip(self.shown, panels):
            shown.set_data(values.numpy())
        self.shown[0].set_clim(image.min().item(), image.max().item())
        for shown in self.shown[1:]:
            shown.set_clim(-limit, limit)
        self.colorbar.set_ticks([-limit, 0, limit], labels=[f"{-limit:.3g}", "0", f"{limit:.3g}"])
        for ax, title in zip(self.axes, (image_title, map_title, map_title + " after ReLU")):
            ax.set_title(title, fontsize=12)
        self._write_values(panels, limit)
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        return buffer.getvalue()

    def _write_values(self, panels, limit):
        for label in self.value_labels:
            label.remove()
        self.value_labels = []
        image_middle = (panels[0].max() + panels[0].min()).item() / 2
        for ax, values, is_image in zip(self.axes, panels, (True, False, False)):
            if values.numel() > 64:
                continue
            for i, row in enumerate(values.tolist()):
                for j, v in enumerate(row):
                    dark = v < image_middle if is_image else abs(v) > 0.6 * limit
                    self.value_labels.append(ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=10,
                                                     color="white" if dark else "black"))


class KernelEditor:
    """Type a 3×3 or 5×5 kernel (or pick a preset) and see its feature map (特征映射) on an image.

    Pictures, side by side: the input, ``corr2d_vectorized(input, kernel)`` on a diverging colour
    map centred on 0, and the same map after ReLU. Display the object as the last expression of a cell.

    images: optional n×1×h×w or n×h×w float tensor (e.g. Fashion-MNIST test images, h, w ≥ 5);
    labels: n integer class indices (needed with images); classes: class names (default "0", "1", …).
    Without images only the 6×8 ``edge_image`` can be chosen.

    Controls: ``size`` (3 or 5), ``cells`` (size×size nested list of BoundedFloatText in [−10, 10]),
    ``preset`` (Dropdown: the ``editor_presets`` plus "custom", which an edited cell selects),
    ``image_source`` ("edge" or "dataset"), ``image_class`` (−1 for all classes, else a class index),
    ``image_index`` (the n-th image among those of the chosen class).
    Computed state: ``kernel`` (size×size tensor read from the cells), ``image`` (h×w input shown),
    ``feature_map`` ((h−k+1)×(w−k+1)), ``relu_map``, ``redraw_count``, ``figure_png`` (PNG bytes).
    """

    def __init__(self, images=None, labels=None, classes=None, preset="Sobel x", size=3):
        self._images, self._labels, self._classes = _check_editor_images(images, labels, classes)
        presets = editor_presets(size)
        if preset not in presets:
            raise ValueError(f"preset must be one of {list(presets)}, got {preset!r}")
        self._syncing = False      # True while the editor itself sets controls: their callbacks stay quiet
        self.redraw_count = 0
        self._figure = _FeatureMapFigure()
        self.size = widgets.Dropdown(options=[("3×3", 3), ("5×5", 5)], value=size, description="kernel size")
        self.preset = widgets.Dropdown(options=[*presets, "custom"], value=preset, description="preset")
        self.preset.add_class("kernel-preset")
        self.grid = widgets.GridBox()
        self._build_cells(presets[preset])
        self._build_image_chooser()
        self.summary = widgets.HTML()
        self.picture = widgets.Image(format="png")
        self.picture.add_class("kernel-feature-map")
        controls = widgets.VBox([self.size, self.preset, self.grid, self.image_source, self.image_class,
                                 self.image_index, self.summary])
        self.ui = widgets.VBox([controls, self.picture])
        self.size.observe(self._on_size_change, names="value")
        self.preset.observe(self._on_preset_change, names="value")
        for control in (self.image_source, self.image_class, self.image_index):
            control.observe(self._on_image_change, names="value")
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)

    def _build_cells(self, kernel):
        """Fill ``self.grid`` with one BoundedFloatText per kernel entry (k×k kernel)."""
        k = kernel.shape[0]
        self.cells = [[widgets.BoundedFloatText(value=kernel[i, j].item(), min=-KERNEL_ENTRY_BOUND,
                                                max=KERNEL_ENTRY_BOUND, step=0.1,
                                                layout=widgets.Layout(width="72px"))
                       for j in range(k)] for i in range(k)]
        for cell in self._all_cells():
            cell.add_class("kernel-cell")
            cell.observe(self._on_cell_change, names="value")
        self.grid.children = self._all_cells()
        self.grid.layout = widgets.Layout(grid_template_columns=f"repeat({k}, 76px)", grid_gap="4px",
                                          margin="4px 0 8px 90px")

    def _build_image_chooser(self):
        sources = [("6×8 edge image", "edge")]
        if self._images is not None:
            sources.append(("Fashion-MNIST test image", "dataset"))
        self.image_source = widgets.Dropdown(options=sources, value=sources[-1][1], description="image")
        present = sorted(set(self._labels.tolist())) if self._labels is not None else []
        self.image_class = widgets.Dropdown(options=[("all classes", -1)] + [(self._classes[c], c) for c in present],
                                            value=-1, description="class")
        self._indices_of_class = {-1: torch.arange(len(self._images) if self._images is not None else 1)}
        self._indices_of_class.update({c: (self._labels == c).nonzero().flatten() for c in present})
        self.image_index = widgets.BoundedIntText(value=0, min=0, max=len(self._indices_of_class[-1]) - 1,
                                                  description="index")
        self._enable_dataset_controls()

    def _all_cells(self):
        return [cell for row in self.cells for cell in row]

    def _enable_dataset_controls(self):
        disabled = self.image_source.value == "edge"
        self.image_class.disabled = self.image_index.disabled = disabled

    @property
    def kernel(self):
        """The kernel in the cells, size×size float32."""
        return torch.tensor([[cell.value for cell in row] for row in self.cells], dtype=torch.float32)

    @property
    def image(self):
        """The chosen input image, h×w."""
        if self.image_source.value == "edge":
            return edge_image()
        return self._images[self._image_number()]

    def _image_number(self):
        return self._indices_of_class[self.image_class.value][self.image_index.value].item()

    def _image_title(self):
        if self.image_source.value == "edge":
            return "input: 6×8 edge image"
        number = self._image_number()
        return f"input: test image {number} ({self._classes[self._labels[number]]})"

    def _set_quietly(self, assignments):
        """Set (widget, attribute, value) triples without their callbacks redrawing."""
        self._syncing = True
        try:
            for control, attribute, value in assignments:
                setattr(control, attribute, value)
        finally:
            self._syncing = False

    def _on_cell_change(self, change):
        if self._syncing:
            return
        self._set_quietly([(self.preset, "value", "custom")])
        self.redraw()

    def _on_preset_change(self, change):
        if self._syncing or change["new"] == "custom":
            return          # choosing "custom" keeps the kernel that is in the cells
        kernel = editor_presets(self.size.value)[change["new"]]
        self._set_quietly([(cell, "value", value) for cell, value in zip(self._all_cells(), kernel.flatten().tolist())])
        self.redraw()

    def _on_size_change(self, change):
        """Rebuild the grid: a preset is taken at the new size, a custom kernel is zero padded or cropped."""
        if self.preset.value != "custom":
            kernel = editor_presets(change["new"])[self.preset.value]
        elif change["new"] > change["old"]:
            kernel = _embed_centred(self.kernel, change["new"])
        else:
            kernel = _crop_centre(self.kernel, change["new"])
        self._build_cells(kernel)
        self.redraw()

    def _on_image_change(self, change):
        if self._syncing:
            return
        if change["owner"] is self.image_class:
            # a class has fewer images: restart at its first one, and draw once below
            count = len(self._indices_of_class[change["new"]])
            self._set_quietly([(self.image_index, "value", 0), (self.image_index, "max", count - 1)])
        self._enable_dataset_controls()
        self.redraw()

    def redraw(self):
        """Recompute the feature map from the current image and kernel and redraw the three pictures."""
        image, kernel = self.image, self.kernel
        self.feature_map = corr2d_vectorized(image, kernel)
        self.relu_map = self.feature_map.clamp(min=0)
        self.figure_png = self._figure.png(image, self.feature_map, self.relu_map, self._image_title(),
                                          f"feature map ({self.preset.value})")
        self.picture.value = self.figure_png
        h, w = self.feature_map.shape
        self.summary.value = (f"feature map {h}×{w}: min {self.feature_map.min().item():.3g}, "
                              f"max {self.feature_map.max().item():.3g}; kernel sum {kernel.sum().item():.3g} "
                              f"(the response to a flat patch of brightness 1)")
        self.redraw_count += 1


# --- PoolingExplorer (notebook 04) ---

def _check_explorer_images(images):
    """Turn ``images`` (a dict name → h×w or 1×h×w tensor) into a dict name → h×w tensor."""
    if not isinstance(images, dict) or not images:
        raise TypeError(f"images must be a non-empty dict mapping names to h×w tensors, got {images!r:.80}")
    checked = {}
    for name, image in images.items():
        _check_tensor(f"images[{name!r}]", image, (2, 3), "h×w or 1×h×w")
        if image.dim() == 3 and image.shape[0] != 1:
            raise ValueError(f"images[{name!r}] must be one grey-scale image (h×w or 1×h×w), "
                             f"got shape {tuple(image.shape)}")
        checked[str(name)] = image.detach().cpu().reshape(image.shape[-2:])
    return checked


def _draw_pooling(image, pooled, pool_size, stride, padding, mode):
    """Draw the input with its padding and first two windows next to the pooled output.

    image: h×w; pooled: h'×w', or None when the setting is invalid. Padding cells are tan (holding
    −∞ for max pooling, 0 for average pooling), the first window is red and its output cell is framed
    red; the window one stride to the right is dashed blue. Values are written in the cells of small
    maps. Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    h, w = image.shape
    k, s, p = pool_size, stride, padding
    ratio = [w + 2 * p, max(pooled.shape[1], 1) if pooled is not None else max(w // 2, 1)]
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(8, 3.6), gridspec_kw={"width_ratios": ratio})
    values = image if pooled is None else torch.cat([image.flatten(), pooled.flatten()])
    low = min(values.min().item(), 0.0)            # average pooling mixes in zero padding
    high = max(values.max().item(), low + 1e-6)
    _show_values(ax_in, image, low, high)
    ax_in.set_facecolor("#f2d7a0")                 # what shows around the image is the padding
    ax_in.set_xlim(-p - 0.5, w + p - 0.5)
    ax_in.set_ylim(h + p - 0.5, -p - 0.5)
    ax_in.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, edgecolor="black", linewidth=1))
    if p and (h + 2 * p) * (w + 2 * p) <= 150:
        pad_text = "−∞" if mode == "max" else "0"
        for i in range(-p, h + p):
            for j in range(-p, w + p):
                if not (0 <= i < h and 0 <= j < w):
                    ax_in.text(j, i, pad_text, ha="center", va="center", fontsize=11, color="#7a5a1e")
    title = f"input {h}×{w}" + (f", padded to {h + 2 * p}×{w + 2 * p} (tan)" if p else "")
    ax_in.set_title(title, fontsize=13)
    if pooled is None:
        ax_out.text(0.5, 0.5, "no output:\nsee the message", ha="center", va="center", fontsize=11)
        ax_out.axis("off")
    else:
        ax_in.add_patch(Rectangle((-p - 0.5, -p - 0.5), k, k, fill=False, edgecolor="#d62728", linewidth=3,
                                  clip_on=False))
        if pooled.shape[1] > 1:
            ax_in.add_patch(Rectangle((-p - 0.5 + s, -p - 0.5), k, k, fill=False, edgecolor="#1f77b4",
                                      linewidth=2, linestyle="--", clip_on=False))
        _show_values(ax_out, pooled, low, high)
        ax_out.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="#d62728", linewidth=3))
        ax_out.set_title(f"{mode} pooled {pooled.shape[0]}×{pooled.shape[1]}", fontsize=13)
    fig.tight_layout()
    return fig


def _show_values(ax, matrix, low, high):
    """Grey-scale image of a 2-D tensor on a fixed colour range, with values written in when it is small."""
    ax.imshow(matrix.detach().numpy(), cmap="gray", vmin=low, vmax=high)
    if matrix.numel() <= 100:
        for i, row in enumerate(matrix.tolist()):
            for j, v in enumerate(row):
                ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=11,
                        color="black" if v > (low + high) / 2 else "white")
    ax.set_xticks([])
    ax.set_yticks([])


class PoolingExplorer:
    """Controls for the window size, stride, padding and mode (max/avg) of ``pool2d`` on a chosen image.

    images: dict name → h×w (or 1×h×w) grey-scale tensor, shown in a drop-down; default the 6×8
    ``edge_image()``. Shows the input (padding tan, first window red, next window dashed blue) and
    the pooled output with their shapes. Display the object as the last expression of a cell.

    Computed state (updated on every change): ``pooled`` (h'×w' tensor, or None when the setting is
    invalid), ``shape_text`` ("input h×w → max pooled h'×w'", "" when invalid), ``message`` (pool2d's
    reason the setting is invalid, "" when valid), ``output_png`` (PNG bytes, also in ``output.value``).
    """

    MAX_POOL_SIZE, MAX_STRIDE, MAX_PADDING = 8, 8, 4

    def __init__(self, images=None, pool_size=2, stride=2, padding=0, mode="max"):
        self.images = _check_explorer_images({"edge image": edge_image()} if images is None else images)
        for name, value, low, high in (("pool_size", pool_size, 1, self.MAX_POOL_SIZE),
                                       ("stride", stride, 1, self.MAX_STRIDE),
                                       ("padding", padding, 0, self.MAX_PADDING)):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be an int in {low}..{high}, got {value!r}")
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")

        def int_box(description, value, low, high, css_class):
            control = widgets.BoundedIntText(value=value, min=low, max=high, description=description,
                                             style={"description_width": "70px"},
                                             layout=widgets.Layout(width="150px"))
            control.add_class(css_class)
            return control

        self.image = widgets.Dropdown(options=list(self.images), description="image",
                                      style={"description_width": "60px"}, layout=widgets.Layout(width="320px"))
        self.image.add_class("pool-image")
        self.pool_size = int_box("pool size", pool_size, 1, self.MAX_POOL_SIZE, "pool-size")
        self.stride = int_box("stride", stride, 1, self.MAX_STRIDE, "pool-stride")
        self.padding = int_box("padding", padding, 0, self.MAX_PADDING, "pool-padding")
        # No description: ToggleButtons puts it on a line of its own above the buttons.
        self.mode = widgets.ToggleButtons(options=["max", "avg"], value=mode,
                                          tooltips=["max pooling", "average pooling"],
                                          style={"button_width": "60px"})
        self.mode.add_class("pool-mode")
        self.shape_html = widgets.HTML()
        self.shape_html.add_class("pool-shape")
        self.message_html = widgets.HTML()
        self.message_html.add_class("pool-message")
        self.output = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.output.add_class("pool-output")
        # Controls in rows above the picture: the two-panel picture needs the notebook's full width.
        self.ui = widgets.VBox([self.image, widgets.HBox([self.pool_size, self.stride, self.padding, self.mode]),
                                self.shape_html, self.message_html, self.output])
        self.pooled = None
        self.shape_text = self.message = ""
        self.output_png = b""
        for control in (self.image, self.pool_size, self.stride, self.padding, self.mode):
            control.observe(self._update, names="value")
        self._update()

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)

    def _update(self, change=None):
        image = self.images[self.image.value]
        k, s, p, mode = self.pool_size.value, self.stride.value, self.padding.value, self.mode.value
        try:
            self.pooled = pool2d(image, k, mode=mode, stride=s, padding=p)
        except ValueError as error:   # padding over half the window, or a window larger than the padded input
            self.pooled = None
            self.shape_text = ""
            self.message = str(error)
        else:
            h, w = image.shape
            self.shape_text = f"input {h}×{w} → {mode} pooled {self.pooled.shape[0]}×{self.pooled.shape[1]}"
            self.message = ""
        self.shape_html.value = f"<b>{self.shape_text}</b>" if self.shape_text else ""
        self.message_html.value = f"<span style='color:#b00'>{self.message}</span>" if self.message else ""
        self.output_png = figure_png(_draw_pooling(image, self.pooled, k, s, p, mode))
        self.output.value = self.output_png
