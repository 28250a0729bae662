"""LeNetExplorer (notebook 05) driven through its Python state, without a browser.

The browser half (drawing with the mouse, pointing, what the page shows) is in test_browser.py.
"""

import numpy as np
import pytest
import torch
from torch import nn

import helpers
from convlab.widgets.client import JS_DIR
from convlab.widgets.lenet_explorer import (
    PAD_SIZE,
    LeNetExplorer,
    LeNetView,
    field_probe,
    receptive_fields,
    shown_layers,
)
from support.lessons import first_examples

SEED_LAYERS = ["0", "2", "3", "5"]  # conv, pool, conv, pool in helpers.lenet("notes")


@pytest.fixture(scope="module")
def data(fashion):
    return first_examples(fashion, 10, 200)


@pytest.fixture(scope="module")
def explorer(data):
    torch.manual_seed(0)
    return LeNetExplorer(helpers.lenet("notes"), data)


def decode(raw, dtype="<f4"):
    return torch.from_numpy(np.frombuffer(raw, dtype=dtype).copy())


def gradient_support(net, image, layer, channel, row, col):
    """Input pixels with a nonzero gradient of one value of ``layer``'s output in ``net`` itself."""
    x = helpers.standardize(image[None, None]).requires_grad_(True)
    outputs = {}
    dict(net.named_modules())[layer].register_forward_hook(
        lambda module, args, out: outputs.__setitem__("out", out)
    )
    net(x)
    outputs["out"][0, channel, row, col].backward()
    return x.grad[0, 0] != 0


def box_mask(top, left, height, width, size=28):
    mask = torch.zeros(size, size, dtype=torch.bool)
    mask[top : top + height, left : left + width] = True
    return mask


def test_receptive_fields_follow_the_lessons_rule():
    fields = receptive_fields(helpers.lenet("notes"), SEED_LAYERS)
    assert [tuple(f.shape) for f in fields] == [(28, 28, 4), (14, 14, 4), (12, 12, 4), (7, 7, 4)]
    # notebook 05: r = 5, 6, 14, 16; the centre value of the 7×7 maps sees input rows 6..21
    assert fields[3][3, 3].tolist() == [6, 6, 16, 16]
    assert fields[2][5, 5].tolist() == [6, 6, 14, 14]
    assert fields[1][4, 4].tolist() == [6, 6, 6, 6]
    assert fields[0][0, 0].tolist() == [0, 0, 3, 3]  # padding 2: part of the 5×5 field is outside


def test_receptive_fields_equal_the_real_networks_gradient(fashion):
    """For the sigmoid network every pixel of the field has a nonzero gradient, none outside."""
    torch.manual_seed(0)
    net = helpers.lenet("notes").eval()
    fields = receptive_fields(net, SEED_LAYERS)
    image = fashion.test_images[0, 0]
    for layer, field in zip(SEED_LAYERS, fields):
        height, width = field.shape[:2]
        for row, col in [(0, 0), (height // 2, width // 3), (height - 1, width - 1)]:
            support = gradient_support(net, image, layer, 1, row, col)
            assert torch.equal(support, box_mask(*field[row, col].tolist())), (layer, row, col)


def test_the_field_depends_on_geometry_only():
    """ReLU, batch-norm and max pooling change which pixels matter for one input, not which can."""
    torch.manual_seed(0)
    seed, modern = helpers.lenet("notes"), helpers.lenet("modern")
    layers = [name for name, _ in shown_layers(modern)]
    for a, b in zip(receptive_fields(seed, SEED_LAYERS), receptive_fields(modern, layers)):
        assert torch.equal(a, b)
    probe = field_probe(modern)
    assert not any(isinstance(m, (nn.ReLU, nn.BatchNorm2d, nn.MaxPool2d)) for m in probe.modules())
    assert isinstance(modern[3], nn.MaxPool2d), "the probe must not change the network itself"


def test_the_view_shows_what_the_network_computes(explorer, data):
    number = explorer._by_class[0][0].item()
    assert torch.equal(explorer.image, data.test_images[number, 0])
    expected = helpers.predict_probabilities(explorer.net, explorer.image[None, None])[0]
    assert torch.allclose(explorer.probabilities, expected)
    assert explorer.view.probabilities == pytest.approx(expected.tolist())
    assert torch.equal(decode(explorer.view.image), explorer.image.flatten())
    with torch.no_grad():
        x, maps = helpers.standardize(explorer.image[None, None]), []
        for index, layer in enumerate(explorer.net[:6]):
            x = layer(x)
            if str(index) in SEED_LAYERS:
                maps.append(x[0])
    for shown, expected_map in zip(explorer.maps, maps):
        assert torch.allclose(shown, expected_map, atol=1e-6)
    assert torch.equal(decode(explorer.view.maps), torch.cat([m.flatten() for m in explorer.maps]))
    fields = decode(explorer.view.fields, "<i2").long()
    assert torch.equal(fields, torch.cat([f.flatten() for f in explorer.fields]))
    titles = [layer["title"] for layer in explorer.view.layers]
    assert titles == [
        "conv 1 · 6×28×28", "avg pool 1 · 6×14×14", "conv 2 · 16×12×12", "avg pool 2 · 16×7×7",
    ]  # fmt: skip


def test_a_stroke_from_the_browser_is_prepared_and_answered(explorer):
    ink = torch.zeros(PAD_SIZE, PAD_SIZE)
    ink[20:90, 30:60] = 1.0
    explorer.view.drawing = (ink * 255).to(torch.uint8).numpy().tobytes()
    explorer.view.stroke += 1
    assert explorer.view.answered == explorer.view.stroke
    assert torch.equal(explorer.image, helpers.prepare_drawing(ink))
    expected = helpers.predict_probabilities(explorer.net, explorer.image[None, None])[0]
    assert explorer.view.probabilities == pytest.approx(expected.tolist())
    assert explorer.view.caption.startswith("your drawing")


def test_prepare_drawing_trims_scales_and_centres_like_fashion_mnist():
    ink = torch.zeros(112, 112)
    ink[10:90, 50:70] = 1.0  # 80 rows × 20 columns
    image = helpers.prepare_drawing(ink)
    rows, cols = torch.nonzero(image > 0.5, as_tuple=True)
    assert (rows.min().item(), rows.max().item()) == (0, 27)  # the longer side fills 28 pixels
    assert cols.max().item() - cols.min().item() + 1 == 7  # 20 · 28/80 = 7, aspect kept
    assert abs((cols.min() + cols.max()).item() / 2 - 13.5) <= 0.5  # centred
    assert torch.equal(helpers.prepare_drawing(torch.zeros(112, 112)), torch.zeros(28, 28))


def test_pointing_at_a_value_describes_it_and_its_field(explorer):
    explorer.view.pointed = [3, 2, 3, 3]
    value = explorer.maps[3][2, 3, 3].item()
    assert explorer.pointed_text == (
        f"avg pool 2, map 2, (3, 3) = {value:.3f}; receptive field: input rows 6–21, "
        "columns 6–21 (16×16)"
    )
    explorer.view.pointed = []
    assert explorer.pointed_text == ""
    with pytest.raises(ValueError, match=r"must lie in a 16×7×7 map, got \(2, 7, 0\)"):
        explorer.describe(3, 2, 7, 0)
    with pytest.raises(ValueError, match="layer must be in 0..3, got 4"):
        explorer.describe(4, 0, 0, 0)
    explorer.view.pointed = [4, 0, 0, 0]  # as a confused browser could send it
    assert explorer.pointed_text == "" and "layer must be in 0..3, got 4" in explorer.message
    explorer.message = ""


def test_the_view_is_the_shipped_module_and_starts_with_nothing_pointed():
    view = LeNetView()
    module = view._esm
    assert module == (JS_DIR / "lenet_explorer.js").read_text(encoding="utf-8")
    assert "export default { render }" in module
    assert "http" not in module and "import " not in module  # nothing fetched: works offline
    assert view.pointed == [] and "const NOT_POINTED = [];" in module  # [] = nothing pointed


def test_choosing_a_test_image_by_class_and_index(explorer, data):
    sandals = torch.nonzero(data.test_labels == 5).flatten()
    explorer.image_class.value = 5
    assert explorer.index.max == len(sandals) - 1 and explorer.index.value == 0
    explorer.index.value = 1
    assert torch.equal(explorer.image, data.test_images[sandals[1], 0])
    assert "Sandal" in explorer.view.caption
    with pytest.raises(ValueError, match="index must be an int in 0..") as error:
        explorer.choose(5, len(sandals))
    assert str(len(sandals)) in str(error.value)
    with pytest.raises(TypeError, match="image_class must be an int"):
        explorer.choose("Sandal", 0)


def test_a_drawing_that_cannot_be_read_is_reported_not_fatal(explorer):
    image = explorer.image.clone()
    explorer.view.drawing = b"\x00" * 10
    explorer.view.stroke += 1
    assert "12544 bytes, got 10" in explorer.message
    assert explorer.view.error == explorer.message
    assert torch.equal(explorer.image, image)  # the last good input stays
    explorer.view.drawing = bytes(PAD_SIZE * PAD_SIZE)
    explorer.view.stroke += 1
    assert explorer.message == "" and explorer.view.error == ""


@pytest.mark.parametrize(
    "ink, error, match",
    [
        (torch.zeros(3, 28, 28), ValueError, r"ink must have shape h×w .*got shape \(3, 28, 28\)"),
        (torch.zeros(28, 28, dtype=torch.uint8), TypeError, "floating-point"),
        (torch.full((28, 28), 2.0), ValueError, r"ink values must lie in \[0, 1\], got 2..2"),
        ([[0.0]], TypeError, "ink must be a torch.Tensor"),
    ],
)
def test_bad_drawings_are_refused(ink, error, match):
    with pytest.raises(error, match=match):
        helpers.prepare_drawing(ink)


def test_bad_networks_and_data_are_refused(data):
    with pytest.raises(TypeError, match="net must be a torch.nn.Module, got function"):
        LeNetExplorer(lambda x: x, data)
    three_channels = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(10))
    with pytest.raises(ValueError, match="net must take N×1×28×28 images"):
        LeNetExplorer(three_channels, data)
    five_classes = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 26 * 26, 5))
    with pytest.raises(ValueError, match=r"net must return N×10 logits .*got shape \(1, 5\)"):
        LeNetExplorer(five_classes, data)
    dense = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with pytest.raises(ValueError, match="no convolution or pooling layer"):
        LeNetExplorer(dense, data)
    with pytest.raises(TypeError, match="data must have test_images, test_labels and classes"):
        LeNetExplorer(helpers.lenet("notes"), object())


@pytest.mark.parametrize(
    "image, error, match",
    [
        (torch.zeros(1, 28, 28), ValueError, r"image must have shape 28×28 \(2 dimensions\)"),
        (torch.zeros(32, 32), ValueError, r"image must have shape 28×28, got \(32, 32\)"),
        (torch.full((28, 28), -0.5), ValueError, r"image values must lie in \[0, 1\], got -0.5"),
        (torch.zeros(28, 28, dtype=torch.int64), TypeError, "image must be a floating-point"),
    ],
)
def test_images_of_the_wrong_shape_or_range_are_refused(explorer, image, error, match):
    with pytest.raises(error, match=match):
        explorer.show(image, "a bad image")


def top_three_of(explorer):
    values, classes = explorer.probabilities.topk(3)
    return ", ".join(
        f"{explorer.data.classes[c]} {100 * v:.1f} %" for v, c in zip(values, classes.tolist())
    )


def test_the_live_region_hears_the_top_three_and_the_canvas_label_follows(explorer):
    explorer.choose(2, 1)
    sentence = top_three_of(explorer)
    assert explorer.view.announcement == explorer.top_three() == sentence
    assert sentence.count(" %") == 3
    assert explorer.view.input_label == (
        f"What the network receives, 28 by 28 pixels: {explorer.view.caption}. "
        f"Most probable: {sentence}."
    )
    assert not explorer.view.from_drawing and explorer.source.value == "input: a test image"
    ink = torch.zeros(PAD_SIZE, PAD_SIZE)
    ink[30:80, 40:70] = 1.0
    explorer.view.drawing = (ink * 255).to(torch.uint8).numpy().tobytes()
    explorer.view.stroke += 1
    assert explorer.view.from_drawing and explorer.source.value.startswith("input: your drawing")
    assert explorer.view.announcement == top_three_of(explorer)
    assert "your drawing" in explorer.view.input_label


def test_pointing_is_announced_with_its_field(explorer):
    explorer.choose(0, 0)
    explorer.view.pointed = [2, 3, 4, 5]
    assert explorer.view.announcement == explorer.pointed_text == explorer.describe(2, 3, 4, 5)
    explorer.view.pointed = []
    assert explorer.view.announcement == explorer.describe(2, 3, 4, 5)  # no empty announcement


def test_the_view_labels_its_canvases_and_lists_its_keys():
    source = (JS_DIR / "lenet_explorer.js").read_text()
    for needle in (
        'setAttribute("role", "status")',
        'setAttribute("aria-live", "polite")',
        'setAttribute("role", "application")',
        "tabIndex = 0",
        "texts.keys",
        "lmSuppressShortcuts",
    ):
        assert needle in source, needle


def test_the_view_gets_its_words_from_python(explorer):
    """The keys line and every other word of the view come from the texts trait."""
    texts = explorer.view.texts
    assert texts["keys"].startswith("Keys: Tab moves to the pad and to each map.")
    assert set(texts) >= {"hint", "pad", "tools", "pen_down", "map_label", "pointed"}
    assert texts["tools"] == {"pen": "pen", "eraser": "eraser", "clear": "clear"}
