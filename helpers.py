"""Shared code for the "Convolutions to LeNet" notebooks.

Every function here is born in a lesson that explains it, the way d2l's ``d2l/torch.py`` is built.
The sections follow the notebooks:

    01 cross-correlation   corr2d, corr2d_vectorized, Conv2D, conv_output_shape
    02 edge detection      edge_image, classic_kernels
    03 multi-channel       corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1
    04 pooling             pool2d
    data                   load_fashion_mnist
    plotting               show_images, show_heatmap, figure_png
    05 LeNet               lenet, train
    widgets                ConvShapeExplorer, KernelEditor, PoolingExplorer

Public functions check their arguments and raise ``TypeError``/``ValueError`` messages that name the
argument, what was received and what was expected. Shapes in docstrings use h×w for height×width.
"""

import gzip
import os
import shutil
from pathlib import Path
from typing import NamedTuple

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
        ax.imshow(img, cmap=cmap)
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
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if annotate:
        for i, row in enumerate(values.tolist()):
            for j, v in enumerate(row):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8)
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

# (issue 3 fills this section)


# ---------------------------------------------------------------------------------------------------
# Interactive widgets (ipywidgets 8): ConvShapeExplorer (01), KernelEditor (02), PoolingExplorer (04)
# ---------------------------------------------------------------------------------------------------

# --- ConvShapeExplorer (notebook 01) ---

# --- KernelEditor (notebook 02) ---

# --- PoolingExplorer (notebook 04) ---
