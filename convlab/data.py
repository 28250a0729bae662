"""Fashion-MNIST as tensors, loaded through ``torchvision.datasets.FashionMNIST``.

The loader looks in: the ``root`` argument; the folder named by $FASHION_MNIST_ROOT; the
repository's git-ignored ``data/`` cache; Debian's ``dataset-fashion-mnist`` package (decompressed
into the cache, the way to work offline); torchvision's download (into the cache).
"""

import gzip
import os
import shutil
from pathlib import Path
from typing import NamedTuple

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ENV_VAR = "FASHION_MNIST_ROOT"
DATA_CACHE = REPO_ROOT / "data"
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
RAW_FILES = {  # torchvision's raw file name → number of records it must hold
    "train-images-idx3-ubyte": 60_000,
    "train-labels-idx1-ubyte": 60_000,
    "t10k-images-idx3-ubyte": 10_000,
    "t10k-labels-idx1-ubyte": 10_000,
}


class FashionMNIST(NamedTuple):
    """Fashion-MNIST as tensors: images N×1×28×28 float32 in [0, 1], labels N int64 in 0..9."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: list


def check_labels(name, labels, num_images, num_classes):
    """Raise unless ``labels`` is 1-D int64, holding one class in 0..num_classes-1 per image."""
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        got = f"dtype {labels.dtype}" if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise TypeError(f"{name} must be a 1-D int64 tensor of class indices, got {got}")
    if labels.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor, got shape {tuple(labels.shape)}")
    if len(labels) != num_images:
        raise ValueError(
            f"{name} must have one label per image: "
            f"got {len(labels)} labels for {num_images} images"
        )
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"{name} must lie in 0..{num_classes - 1} (one per class), "
            f"got values from {labels.min().item()} to {labels.max().item()}"
        )


def raw_folder(root):
    """Where torchvision keeps the four decompressed IDX files under ``root``."""
    return Path(root) / "FashionMNIST" / "raw"


def _has_raw_files(root):
    return all((raw_folder(root) / name).is_file() for name in RAW_FILES)


def _unpack_debian_files(source, root):
    """Decompress Debian's four ``.gz`` files into torchvision's layout under ``root``.

    Each file is written to a temporary name and renamed when complete, so an interrupted or
    failed unpacking never leaves a half-written file that looks finished.
    """
    raw = raw_folder(root)
    raw.mkdir(parents=True, exist_ok=True)
    for name in RAW_FILES:
        # a name of this process's own: two test workers may unpack into the same cache at once
        target, partial = raw / name, raw / f"{name}.{os.getpid()}.partial"
        try:
            with gzip.open(source / (name + ".gz"), "rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (OSError, EOFError) as error:
            partial.unlink(missing_ok=True)
            raise RuntimeError(
                f"could not decompress {source / (name + '.gz')}: {error}"
            ) from error
        partial.replace(target)


def _load_split(root, train):
    """Read one split through torchvision, turning a damaged file into an error that names it."""
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    prefix = "train" if train else "t10k"
    folder = raw_folder(root)
    try:
        dataset = TorchvisionFashionMNIST(root, train=train, download=False)
    except Exception as error:  # torchvision raises assorted errors for a damaged IDX file
        raise RuntimeError(
            f"Fashion-MNIST file in {folder} ({prefix}-*-idx*-ubyte) is damaged "
            f"or truncated: {error}. Delete it and load again."
        ) from error
    images, labels = dataset.data, dataset.targets
    images_file, labels_file = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
    expected = RAW_FILES[images_file]
    for name, tensor in ((images_file, images), (labels_file, labels)):
        if len(tensor) != expected:
            raise RuntimeError(
                f"{folder / name} holds {len(tensor)} records, expected {expected}: "
                f"the file is truncated. Delete it and load again."
            )
    if images.shape[1:] != (28, 28):
        raise RuntimeError(
            f"{folder / images_file} holds images of shape {tuple(images.shape[1:])}, "
            f"expected 28×28"
        )
    if labels.min() < 0 or labels.max() > 9:
        raise RuntimeError(f"{folder / labels_file} holds labels outside 0..9")
    return images.unsqueeze(1).float() / 255, labels.long(), dataset.classes


def find_or_fetch_root(root):
    """A folder whose ``FashionMNIST/raw`` holds the four files, trying each source in turn."""
    for candidate in (root, os.environ.get(DATA_ENV_VAR), DATA_CACHE):
        if candidate and _has_raw_files(candidate):
            return Path(candidate)
    if all((DEBIAN_FASHION_MNIST / (name + ".gz")).is_file() for name in RAW_FILES):
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
            f"  2. with a network connection: run load_fashion_mnist() again and torchvision "
            f"downloads it into {DATA_CACHE};\n"
            f"  3. copy the four decompressed files ({', '.join(RAW_FILES)}) into "
            f"ROOT/FashionMNIST/raw/ and pass root=ROOT or set {DATA_ENV_VAR}=ROOT.\n"
            f"(download error: {error})"
        ) from error


def load_fashion_mnist(root=None):
    """Load the real Fashion-MNIST data set through ``torchvision.datasets.FashionMNIST``.

    Looks, in order, in: ``root``; the folder named by $FASHION_MNIST_ROOT; the repository's
    ``data/`` cache; Debian's ``/usr/share/datasets/fashion-mnist`` (decompressed into the cache);
    torchvision's download (into the cache). A folder counts when ``FOLDER/FashionMNIST/raw/``
    holds the four decompressed IDX files. A truncated or corrupt file raises an error naming it.

    Returns FashionMNIST(train_images 60000×1×28×28 float32 in [0, 1], train_labels 60000 int64,
    test_images 10000×1×28×28, test_labels 10000, classes: the 10 class names).
    """
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(
            f"root must be a folder path (str or pathlib.Path) or None, got {type(root).__name__}"
        )
    found = find_or_fetch_root(root)
    train_images, train_labels, classes = _load_split(found, train=True)
    test_images, test_labels, _ = _load_split(found, train=False)
    return FashionMNIST(train_images, train_labels, test_images, test_labels, list(classes))
