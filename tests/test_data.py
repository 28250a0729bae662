"""load_fashion_mnist on the real data, on damaged copies, and with no source at all."""

import gzip
import shutil

import pytest
import torch

import helpers
from convlab import data as data_module

RAW_NAMES = list(data_module.RAW_FILES)


@pytest.fixture(scope="module")
def data():
    return helpers.load_fashion_mnist()


@pytest.fixture(scope="module")
def real_raw_folder(data):
    """The raw folder the real data was loaded from (the one the loader picked)."""
    return data_module.raw_folder(data_module.find_or_fetch_root(None))


def copy_raw(source, root):
    """Copy the four real IDX files into ROOT/FashionMNIST/raw and return that folder."""
    raw = data_module.raw_folder(root)
    raw.mkdir(parents=True)
    for name in RAW_NAMES:
        shutil.copy(source / name, raw / name)
    return raw


def truncate(path, keep_fraction=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])


def test_real_data_shapes_dtypes_and_labels(data):
    assert data.train_images.shape == (60_000, 1, 28, 28)
    assert data.test_images.shape == (10_000, 1, 28, 28)
    assert data.train_labels.shape == (60_000,) and data.test_labels.shape == (10_000,)
    assert data.train_images.dtype == torch.float32 and data.train_labels.dtype == torch.int64
    assert 0 <= data.train_images.min() and data.train_images.max() <= 1
    for labels in (data.train_labels, data.test_labels):
        assert set(labels.unique().tolist()) == set(range(10))
        assert labels.bincount().tolist() == [len(labels) // 10] * 10  # Fashion-MNIST is balanced
    assert (
        len(data.classes) == 10
        and data.classes[0] == "T-shirt/top"
        and data.classes[9] == "Ankle boot"
    )
    assert data.train_images.std() > 0.2  # real pictures, not blanks


@pytest.mark.parametrize("name", ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"])
def test_truncated_file_is_an_error_naming_it(tmp_path, real_raw_folder, name):
    raw = copy_raw(real_raw_folder, tmp_path)
    truncate(raw / name)
    with pytest.raises(RuntimeError) as excinfo:
        helpers.load_fashion_mnist(root=tmp_path)
    message = str(excinfo.value)
    assert str(raw) in message and name.split("-")[0] in message


def test_file_with_fewer_records_is_an_error_naming_it(tmp_path, real_raw_folder):
    """A consistent but shorter file (header says 100 records) must not shrink the data set."""
    raw = copy_raw(real_raw_folder, tmp_path)
    images, labels = raw / "t10k-images-idx3-ubyte", raw / "t10k-labels-idx1-ubyte"
    images.write_bytes(
        images.read_bytes()[:4] + (100).to_bytes(4, "big") + images.read_bytes()[8 : 16 + 100 * 784]
    )
    labels.write_bytes(
        labels.read_bytes()[:4] + (100).to_bytes(4, "big") + labels.read_bytes()[8 : 8 + 100]
    )
    with pytest.raises(
        RuntimeError, match="t10k-images-idx3-ubyte holds 100 records, expected 10000"
    ):
        helpers.load_fashion_mnist(root=tmp_path)


def test_root_argument_comes_before_the_environment_variable(
    tmp_path, monkeypatch, real_raw_folder, data
):
    good, damaged = tmp_path / "good", tmp_path / "damaged"
    copy_raw(real_raw_folder, good)
    truncate(copy_raw(real_raw_folder, damaged) / "train-images-idx3-ubyte")
    monkeypatch.setenv(helpers.DATA_ENV_VAR, str(damaged))
    loaded = helpers.load_fashion_mnist(root=good)
    assert torch.equal(loaded.test_labels, data.test_labels)
    with pytest.raises(
        RuntimeError, match="damaged"
    ):  # without root, the variable's folder is used
        helpers.load_fashion_mnist()


DEBIAN_SHIPPED = data_module.DEBIAN_FASHION_MNIST  # before a test points it at a tmp folder


@pytest.fixture
def no_local_source(tmp_path, monkeypatch):
    """No env var, an empty cache, and a Debian folder in tmp that the test fills (or not)."""
    monkeypatch.delenv(helpers.DATA_ENV_VAR, raising=False)
    monkeypatch.setattr(data_module, "DATA_CACHE", tmp_path / "cache")
    monkeypatch.setattr(data_module, "DEBIAN_FASHION_MNIST", tmp_path / "debian")
    (tmp_path / "debian").mkdir()
    return tmp_path


def gzip_into(raw_folder, debian_folder):
    """The four archives as Debian's package ships them: its own files where it is installed (a
    copy takes a fraction of a second), else ``raw_folder``'s files compressed (fastest level)."""
    for name in RAW_NAMES:
        shipped = DEBIAN_SHIPPED / (name + ".gz")
        if shipped.is_file():
            shutil.copyfile(shipped, debian_folder / (name + ".gz"))
            continue
        with (
            open(raw_folder / name, "rb") as src,
            gzip.open(debian_folder / (name + ".gz"), "wb", compresslevel=1) as dst,
        ):
            shutil.copyfileobj(src, dst)


@pytest.mark.slow
def test_debian_files_are_decompressed_into_the_cache(no_local_source, real_raw_folder, data):
    gzip_into(real_raw_folder, no_local_source / "debian")
    loaded = helpers.load_fashion_mnist()
    assert torch.equal(loaded.train_labels, data.train_labels)
    assert sorted(
        p.name for p in data_module.raw_folder(no_local_source / "cache").iterdir()
    ) == sorted(RAW_NAMES)


@pytest.mark.slow
def test_truncated_debian_archive_is_an_error_and_leaves_no_partial_file(
    no_local_source, real_raw_folder
):
    debian = no_local_source / "debian"
    gzip_into(real_raw_folder, debian)
    truncate(debian / "train-labels-idx1-ubyte.gz")
    with pytest.raises(RuntimeError, match="train-labels-idx1-ubyte.gz"):
        helpers.load_fashion_mnist()
    cached = data_module.raw_folder(no_local_source / "cache")
    assert not (cached / "train-labels-idx1-ubyte").exists()
    assert not list(cached.glob("*.partial"))


def test_no_source_at_all_explains_the_three_ways(no_local_source, monkeypatch):
    from torchvision.datasets import FashionMNIST

    # Port 9 (discard) on loopback refuses at once: the download fails as it does offline.
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(FileNotFoundError) as excinfo:
        helpers.load_fashion_mnist()
    message = str(excinfo.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "downloads it" in message
    assert helpers.DATA_ENV_VAR in message and "root=ROOT" in message
