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

from convlab.language import N_, _

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

# torchvision's names of the ten classes, label 0 to 9 (checked against it on loading). Marked for
# the catalogue here; class_name shows them in the current language.
CLASS_NAMES = (
    N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
    N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"),
)  # fmt: skip


def class_name(label):
    """The name of a class in the current language: ``label`` is its index 0..9 (an int or a
    one-element integer tensor, such as ``data.test_labels[0]``) or its English name."""
    if isinstance(label, str):
        if label not in CLASS_NAMES:
            raise ValueError(
                _("label must be a class index 0..9 or one of {names}, got {value!r}").format(
                    names=", ".join(map(repr, CLASS_NAMES)), value=label
                )
            )
        return _(label)
    if isinstance(label, torch.Tensor) and label.numel() == 1 and not label.is_floating_point():
        label = label.item()
    if not isinstance(label, int) or isinstance(label, bool):
        raise TypeError(
            _("label must be a class index (an int 0..9) or a class name, got {type}").format(
                type=type(label).__name__
            )
        )
    if not 0 <= label < len(CLASS_NAMES):
        raise ValueError(_("label must be a class index in 0..9, got {value}").format(value=label))
    return _(CLASS_NAMES[label])


def class_names():
    """The ten class names in the current language, label 0 to 9."""
    return [_(name) for name in CLASS_NAMES]


class FashionMNIST(NamedTuple):
    """Fashion-MNIST as tensors: images N×1×28×28 float32 in [0, 1], labels N int64 in 0..9."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: list  # class_names() when loaded: torchvision's English names, or their translation


def check_labels(name, labels, num_images, num_classes):
    """Raise unless ``labels`` is 1-D int64, holding one class in 0..num_classes-1 per image."""
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        got = (
            _("dtype {dtype}").format(dtype=labels.dtype)
            if isinstance(labels, torch.Tensor)
            else type(labels).__name__
        )
        raise TypeError(
            _("{name} must be a 1-D int64 tensor of class indices, got {got}").format(
                name=name, got=got
            )
        )
    if labels.dim() != 1:
        raise ValueError(
            _("{name} must be a 1-D tensor, got shape {shape}").format(
                name=name, shape=tuple(labels.shape)
            )
        )
    if len(labels) != num_images:
        raise ValueError(
            _(
                "{name} must have one label per image: got {labels} labels for {images} images"
            ).format(name=name, labels=len(labels), images=num_images)
        )
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            _(
                "{name} must lie in 0..{last} (one per class), got values from {low} to {high}"
            ).format(
                name=name,
                last=num_classes - 1,
                low=labels.min().item(),
                high=labels.max().item(),
            )
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
                _("could not decompress {file}: {error}").format(
                    file=source / (name + ".gz"), error=error
                )
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
            _(
                "Fashion-MNIST file in {folder} ({prefix}-*-idx*-ubyte) is damaged "
                "or truncated: {error}. Delete it and load again."
            ).format(folder=folder, prefix=prefix, error=error)
        ) from error
    images, labels = dataset.data, dataset.targets
    images_file, labels_file = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
    expected = RAW_FILES[images_file]
    for name, tensor in ((images_file, images), (labels_file, labels)):
        if len(tensor) != expected:
            raise RuntimeError(
                _(
                    "{file} holds {records} records, expected {expected}: "
                    "the file is truncated. Delete it and load again."
                ).format(file=folder / name, records=len(tensor), expected=expected)
            )
    if images.shape[1:] != (28, 28):
        raise RuntimeError(
            _("{file} holds images of shape {shape}, expected 28×28").format(
                file=folder / images_file, shape=tuple(images.shape[1:])
            )
        )
    if labels.min() < 0 or labels.max() > 9:
        raise RuntimeError(_("{file} holds labels outside 0..9").format(file=folder / labels_file))
    if tuple(dataset.classes) != CLASS_NAMES:  # class_name's names must be the data set's
        raise RuntimeError(
            _("torchvision names the classes {got}, expected {expected}").format(
                got=dataset.classes, expected=list(CLASS_NAMES)
            )
        )
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
            _(
                "Fashion-MNIST was not found and could not be downloaded. "
                "Get it one of three ways:\n"
                "  1. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
                "(installs it under {debian});\n"
                "  2. with a network connection: run load_fashion_mnist() again and torchvision "
                "downloads it into {cache};\n"
                "  3. copy the four decompressed files ({files}) into "
                "ROOT/FashionMNIST/raw/ and pass root=ROOT or set {variable}=ROOT.\n"
                "(download error: {error})"
            ).format(
                debian=DEBIAN_FASHION_MNIST,
                cache=DATA_CACHE,
                files=", ".join(RAW_FILES),
                variable=DATA_ENV_VAR,
                error=error,
            )
        ) from error


def load_fashion_mnist(root=None):
    """Load the real Fashion-MNIST data set through ``torchvision.datasets.FashionMNIST``.

    Looks, in order, in: ``root``; the folder named by $FASHION_MNIST_ROOT; the repository's
    ``data/`` cache; Debian's ``/usr/share/datasets/fashion-mnist`` (decompressed into the cache);
    torchvision's download (into the cache). A folder counts when ``FOLDER/FashionMNIST/raw/``
    holds the four decompressed IDX files. A truncated or corrupt file raises an error naming it.

    Returns FashionMNIST(train_images 60000×1×28×28 float32 in [0, 1], train_labels 60000 int64,
    test_images 10000×1×28×28, test_labels 10000, classes: the 10 class names in the language the
    series shows when the data is loaded, see ``set_language``).
    """
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(
            _("root must be a folder path (str or pathlib.Path) or None, got {type}").format(
                type=type(root).__name__
            )
        )
    found = find_or_fetch_root(root)
    train_images, train_labels, _english = _load_split(found, train=True)
    test_images, test_labels, _english = _load_split(found, train=False)
    # In the language the series shows now, so a lesson's `data.classes` reads as its edition.
    return FashionMNIST(train_images, train_labels, test_images, test_labels, class_names())
