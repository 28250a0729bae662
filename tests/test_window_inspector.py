"""Headless tests of the WindowInspector, alone and inside helpers.KernelEditor: pointing is
simulated by setting ``pointed`` (as the browser does), and what the inspector sends and writes is
compared with the image, kernel and feature map it was shown and with PyTorch's conv2d. Most tests
use the inspector alone: the editor's matplotlib redraws are what costs time."""

import re

import matplotlib
import numpy
import pytest
import torch
import torch.nn.functional as F

import helpers
from convlab.widgets import WindowInspector, window_inspector
from convlab.widgets.client import JS_DIR

# One product of window_text, "x·k = p", the kernel entry in parentheses when negative.
PRODUCT = re.compile(r"(\S+)·\(?([^\s)]+)\)? = (\S+)")
IMAGE = torch.rand(10, 9, generator=torch.Generator().manual_seed(1))


class Shown:
    """What an inspector was shown, named as the KernelEditor names it."""

    def __init__(self, image, kernel):
        self.image, self.kernel = image, kernel
        self.feature_map = helpers.corr2d_vectorized(image, kernel)
        self.inspector = WindowInspector()
        self.inspector.show(image, kernel, self.feature_map)


@pytest.fixture
def shown():
    """An inspector showing a random 10×9 image, the Sobel x kernel and their 8×7 feature map."""
    return Shown(IMAGE, helpers.classic_kernels()["sobel_x"])


@pytest.fixture
def editor():
    images = torch.rand(6, 1, 10, 9, generator=torch.Generator().manual_seed(1))
    return helpers.KernelEditor(images=images, labels=torch.arange(6) % 2)


def floats(data, *shape):
    """float32 bytes (little-endian) as a tensor of the given shape."""
    return torch.from_numpy(numpy.frombuffer(data, dtype="<f4").copy()).reshape(shape)


def parse(window_text):
    """(header, k×k×3 tensor of (x, kernel entry, product), the sum) from ``window_text``."""
    header, *rows, total = window_text.splitlines()
    cells = [[[float(v) for v in m.groups()] for m in PRODUCT.finditer(row)] for row in rows]
    assert total.startswith("Σ = "), window_text
    return header, torch.tensor(cells), float(total.removeprefix("Σ = "))


def assert_close_to_text(shown, exact):
    """``shown`` (read from the text) is ``exact`` written with three significant digits."""
    exact = torch.as_tensor(exact, dtype=torch.float64)
    assert torch.allclose(torch.as_tensor(shown, dtype=torch.float64), exact, rtol=6e-3, atol=0), (
        f"the text shows {shown}, expected {exact}"
    )


def assert_text_matches(source, i, j):
    """``window_text`` at [i, j] lists image window × kernel and sums to the feature map's value.

    source: a KernelEditor or a Shown (image, kernel, feature_map, inspector)."""
    k = source.kernel.shape[0]
    header, cells, total = parse(source.inspector.window_text)
    assert header.startswith(f"Y[{i}, {j}] = Σ X[{i}+a, {j}+b]·K[a, b]")
    assert f"rows {i}–{i + k - 1}, columns {j}–{j + k - 1}" in header
    window = source.image[i : i + k, j : j + k]
    assert cells.shape == (k, k, 3)
    assert_close_to_text(cells[..., 0], window)
    assert_close_to_text(cells[..., 1], source.kernel)
    assert_close_to_text(cells[..., 2], window * source.kernel)
    conv2d = F.conv2d(source.image[None, None], source.kernel[None, None])[0, 0, i, j]
    assert_close_to_text(total, source.feature_map[i, j])
    assert_close_to_text(total, conv2d)


def assert_sends_the_state(source):
    """The inspector's bytes decode to the source's image, kernel and map; products sum to it."""
    inspector = source.inspector
    image, kernel, fmap = source.image, source.kernel, source.feature_map
    (h, w), k, (oh, ow) = image.shape, kernel.shape[0], fmap.shape
    assert inspector.image_shape == [h, w] and inspector.map_shape == [oh, ow]
    assert inspector.kernel_size == k
    assert torch.equal(floats(inspector.image, h, w), image)
    assert torch.equal(floats(inspector.kernel, k, k), kernel)
    assert torch.equal(floats(inspector.feature_map, oh, ow), fmap)
    products = floats(inspector.products, oh, ow, k, k)
    windows = image.unfold(0, k, 1).unfold(1, k, 1)
    assert torch.equal(products, windows * kernel)
    assert torch.allclose(products.sum(dim=(2, 3)), fmap, atol=1e-5)
    conv2d = F.conv2d(image[None, None], kernel[None, None])[0, 0]
    assert torch.allclose(products.sum(dim=(2, 3)), conv2d, atol=1e-5)
    assert inspector.image_range == [image.min().item(), image.max().item()]
    assert inspector.map_limit == pytest.approx(fmap.abs().max().item())


@pytest.mark.parametrize("size", [3, 5])
def test_pointing_lists_window_times_kernel_and_the_feature_map_value(size):
    shown = Shown(IMAGE, helpers.editor_presets(size)["Gaussian blur" if size == 5 else "Sobel x"])
    oh, ow = shown.feature_map.shape
    for i, j in [(0, 0), (oh - 1, ow - 1), (2, 1), (oh // 2, ow - 2)]:
        shown.inspector.pointed = [i, j]
        assert shown.inspector.pointed == [i, j]
        assert_text_matches(shown, i, j)


def test_the_text_shows_negative_entries_in_parentheses_and_no_minus_zero():
    inspector = Shown(helpers.edge_image(), helpers.classic_kernels()["sobel_x"]).inspector
    inspector.pointed = [0, 0]
    rows = inspector.window_text.splitlines()[1:-1]
    assert rows[0].split() == ["1·(-1)", "=", "-1", "1·0", "=", "0", "0·1", "=", "0"]
    assert rows[1].split()[:3] == ["1·(-2)", "=", "-2"]
    inspector.pointed = [0, 2]  # 0·(-1) is -0.0 in floating point
    assert "-0 " not in inspector.window_text
    assert inspector.window_text.endswith("Σ = 0")


def test_the_bytes_decode_back_to_what_was_shown(shown):
    assert_sends_the_state(shown)
    colors = numpy.frombuffer(shown.inspector.map_colors, dtype=numpy.uint8).reshape(256, 3)
    expected = matplotlib.colormaps["RdBu_r"](numpy.linspace(0, 1, 256))[:, :3] * 255
    assert numpy.abs(colors - expected).max() <= 0.5  # the editor's figure's blue–white–red


def test_the_inspector_follows_kernel_size_and_image(editor):
    inspector = editor.inspector
    assert_sends_the_state(editor)
    changes = [
        lambda: setattr(editor.cells[0][0], "value", -3.5),
        lambda: setattr(editor.size, "value", 5),
        lambda: setattr(editor.image_index, "value", 4),
        lambda: setattr(editor.image_source, "value", "edge"),
    ]
    for change in changes:
        inspector.pointed = [1, 2]
        change()
        assert_sends_the_state(editor)
        assert inspector.pointed == [1, 2]
        assert_text_matches(editor, 1, 2)  # the text follows without pointing again


def test_a_smaller_map_lets_go_of_a_pixel_outside_it(shown):
    shown.inspector.pointed = [7, 6]  # the last pixel of the 8×7 map of a 3×3 kernel
    five = helpers.editor_presets(5)["Sobel x"]
    shown.inspector.show(IMAGE, five, helpers.corr2d_vectorized(IMAGE, five))  # a 6×5 map
    assert shown.inspector.pointed == []
    assert shown.inspector.window_text == ""


@pytest.mark.parametrize("cell", [[], (), [-1, -1], [99, 0], [0, 7], [-2, 3], (8, 0)])
def test_nothing_or_out_of_range_pointed_is_cleared(shown, cell):
    shown.inspector.pointed = [2, 2]
    shown.inspector.pointed = cell
    assert shown.inspector.pointed == []  # [] is "nothing pointed at", as in the LeNet view
    assert shown.inspector.window_text == ""


@pytest.mark.parametrize(
    "cell, error, words",
    [
        ("1, 2", TypeError, "pointed must be a list"),
        ([1.0, 2], TypeError, r"got \[1.0, 2\]"),
        ([True, 1], TypeError, "two ints"),
        ([1, 2, 3], ValueError, r"\[row, column\] or \[\] for none, got 3 values"),
        ([1], ValueError, r"got 1 values: \[1\]"),
    ],
)
def test_malformed_pointed_names_what_is_wrong(shown, cell, error, words):
    with pytest.raises(error, match=words):
        shown.inspector.pointed = cell


def test_nothing_to_point_at_before_the_first_show():
    inspector = WindowInspector()
    assert inspector.pointed == []
    inspector.pointed = [0, 0]
    assert inspector.pointed == [] and inspector.window_text == ""


@pytest.mark.parametrize(
    "args, error, words",
    [
        (([[1.0]], torch.ones(1, 1), torch.ones(1, 1)), TypeError, "image must be a torch.Tensor"),
        ((torch.ones(1, 4, 4), torch.ones(3, 3), torch.ones(2, 2)), ValueError, "image must"),
        (
            (torch.ones(4, 4), torch.ones(3, 3, dtype=torch.long), torch.ones(2, 2)),
            TypeError,
            "kernel",
        ),
        ((torch.ones(4, 4), torch.ones(3, 2), torch.ones(2, 3)), ValueError, "square"),
        ((torch.ones(4, 4), torch.ones(5, 5), torch.ones(1, 1)), ValueError, "fit inside image"),
        (
            (torch.ones(4, 4), torch.ones(3, 3), torch.ones(3, 3)),
            ValueError,
            r"feature_map.*\(2, 2\)",
        ),
    ],
)
def test_show_rejects_bad_arguments(args, error, words):
    with pytest.raises(error, match=words):
        WindowInspector().show(*args)


def test_the_view_is_the_shipped_module_with_the_browser_test_hooks(shown):
    module = shown.inspector._esm
    assert module == (JS_DIR / "window_inspector.js").read_text(encoding="utf-8")
    assert "export default { render }" in module
    assert "http" not in module and "import " not in module  # nothing fetched: works offline
    for hook in ("kernel-inspector", "kernel-product", "kernel-window-sum", "dataset.window"):
        assert hook in module
    assert "__latencies" in module
    assert "const NOT_POINTED = [];" in module  # the view's "nothing pointed" is the model's


def test_the_editor_shows_the_inspector_beside_its_controls_under_its_picture(editor):
    picture, row = editor.ui.children
    assert picture is editor.picture
    controls, inspector = row.children
    assert inspector is editor.inspector
    assert editor.grid in controls.children and editor.summary in controls.children
    assert "Point at a pixel of the feature map" in editor.inspector.caption


def test_the_sentence_lists_a_3x3_window_products_and_their_sum():
    inspector = Shown(helpers.edge_image(), helpers.classic_kernels()["sobel_x"]).inspector
    assert inspector.announcement == ""
    inspector.pointed = [0, 0]
    assert inspector.announcement == (
        "Y[0, 0] = 1·(-1) + 1·0 + 0·1 + 1·(-2) + 1·0 + 0·2 + 1·(-1) + 1·0 + 0·1 = -4."
    )
    inspector.pointed = []
    assert inspector.announcement == ""


def test_the_sentence_of_a_5x5_window_is_its_sum_and_position():
    shown = Shown(IMAGE, helpers.editor_presets(5)["box blur"])
    shown.inspector.pointed = [2, 1]
    total = window_inspector.short(shown.feature_map[2, 1].item())
    assert shown.inspector.announcement == (
        f"Y[2, 1] = {total}, the sum of 25 products over the 5×5 window at rows 2–6, columns 1–5."
    )


def test_the_sentence_follows_a_new_kernel(shown):
    shown.inspector.pointed = [1, 1]
    before = shown.inspector.announcement
    kernel = -helpers.classic_kernels()["sobel_x"]
    shown.inspector.show(IMAGE, kernel, helpers.corr2d_vectorized(IMAGE, kernel))
    assert shown.inspector.announcement != before
    assert shown.inspector.announcement.startswith("Y[1, 1] = ")


def test_the_view_has_the_keyboard_and_live_region_hooks(shown):
    module = shown.inspector._esm
    for hook in ('"role", "status"', '"aria-live", "polite"', "tabIndex = 0", "keydown"):
        assert hook in module
    assert set(shown.inspector.texts) >= {"keys", "map_label", "sentence_products"}
    assert shown.inspector.texts["keys"].startswith("Keys: ")
