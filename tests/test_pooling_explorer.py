"""Headless tests of helpers.PoolingExplorer: set each control's value, check the state."""

import html
import itertools

import pytest
import torch

import helpers
from convlab.reference import torch_pool2d


def torch_pool(image, pool_size, stride, padding, mode):
    """PyTorch's pooling of an h×w (or 1×h×w) image, as an h'×w' tensor."""
    return torch_pool2d(image.reshape(image.shape[-2:]), pool_size, mode, stride, padding)


@pytest.fixture
def images():
    torch.manual_seed(0)
    return {"edge image": helpers.edge_image(), "random 12×11": torch.rand(1, 12, 11)}


def set_controls(explorer, pool_size, stride, padding, mode):
    explorer.pool_size.value = pool_size
    explorer.stride.value = stride
    explorer.padding.value = padding
    explorer.mode.value = mode


def test_initial_state_is_two_by_two_max_pooling_of_the_edge_image():
    explorer = helpers.PoolingExplorer()
    expected = torch_pool(helpers.edge_image(), 2, 2, 0, "max")
    assert torch.equal(explorer.pooled, expected)
    assert explorer.shape_text == f"input 6×8 → max pooled {expected.shape[0]}×{expected.shape[1]}"
    assert explorer.message == ""
    assert explorer.output.value == explorer.output_png and explorer.output_png.startswith(
        b"\x89PNG"
    )


# Window, stride, padding: each setting changes few controls from the one before.
# fmt: off
SETTINGS = [(1, 1, 0), (2, 1, 0), (2, 1, 1), (2, 2, 1), (3, 2, 1), (3, 3, 1), (3, 3, 0),
            (4, 3, 2), (4, 2, 2)]
# fmt: on


def test_every_setting_matches_pytorch(images):
    # The random image has more than 100 pixels, so the drawing skips the slow value labels.
    explorer = helpers.PoolingExplorer(images)
    explorer.image.value = "random 12×11"
    image = images["random 12×11"][0]
    for (pool_size, stride, padding), mode in itertools.product(SETTINGS, ("max", "avg")):
        set_controls(explorer, pool_size, stride, padding, mode)
        expected = torch_pool(image, pool_size, stride, padding, mode)
        setting = f"{mode}, window {pool_size}, stride {stride}, padding {padding}"
        assert explorer.message == "", setting
        assert explorer.pooled.shape == expected.shape, setting
        assert torch.allclose(explorer.pooled, expected, atol=1e-6), setting
        assert (
            explorer.shape_text
            == f"input 12×11 → {mode} pooled {expected.shape[0]}×{expected.shape[1]}"
        )


def test_changing_the_image_recomputes(images):
    explorer = helpers.PoolingExplorer(images, pool_size=3, stride=1, padding=1, mode="avg")
    explorer.image.value = "random 12×11"
    assert torch.allclose(
        explorer.pooled, torch_pool(images["random 12×11"][0], 3, 1, 1, "avg"), atol=1e-6
    )
    assert explorer.shape_text == "input 12×11 → avg pooled 12×11"


def test_padding_over_half_the_window_shows_a_message_then_recovers():
    explorer = helpers.PoolingExplorer(pool_size=3, stride=1)
    png_before = explorer.output_png
    explorer.padding.value = 2
    assert explorer.pooled is None
    assert explorer.shape_text == ""
    assert "padding" in explorer.message and "half" in explorer.message
    assert explorer.message in explorer.message_html.value
    assert explorer.output_png != png_before  # the picture says there is no output
    explorer.pool_size.value = 4  # padding 2 is half of a 4-wide window: valid again
    assert explorer.message == "" and explorer.message_html.value == ""
    assert torch.equal(explorer.pooled, torch_pool(helpers.edge_image(), 4, 1, 2, "max"))


def test_window_larger_than_the_padded_input_shows_a_message_then_recovers():
    explorer = helpers.PoolingExplorer()
    explorer.pool_size.value = 8  # the edge image is 6 high
    assert explorer.pooled is None
    assert "larger than the padded input" in explorer.message
    explorer.padding.value = 1  # 6 + 2·1 = 8 rows now hold the window
    assert explorer.message == ""
    assert torch.equal(explorer.pooled, torch_pool(helpers.edge_image(), 8, 2, 1, "max"))
    assert explorer.shape_text == "input 6×8 → max pooled 1×2"


def test_controls_are_bounded_and_carry_the_browser_test_classes():
    explorer = helpers.PoolingExplorer()
    for control, css_class in (
        (explorer.pool_size, "pool-size"),
        (explorer.stride, "pool-stride"),
        (explorer.padding, "pool-padding"),
        (explorer.mode, "pool-mode"),
        (explorer.output, "pool-output"),
        (explorer.message_html, "pool-message"),
    ):
        assert css_class in control._dom_classes
    explorer.stride.value = 100  # a bounded box clamps what is typed
    assert explorer.stride.value == explorer.MAX_STRIDE
    assert (
        explorer.pooled.shape
        == torch_pool(helpers.edge_image(), 2, explorer.MAX_STRIDE, 0, "max").shape
    )


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"images": {}}, ValueError, "non-empty dict"),
        ({"images": [1]}, TypeError, "must be a dict"),
        ({"images": {"a": [[1.0]]}}, TypeError, "images['a']"),
        ({"images": {"rgb": torch.rand(3, 5, 5)}}, ValueError, "grey-scale"),
        ({"pool_size": 0}, ValueError, "pool_size"),
        ({"stride": 9}, ValueError, "stride"),
        ({"padding": 2.0}, TypeError, "padding"),
        ({"mode": "min"}, ValueError, "mode"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(kwargs, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        helpers.PoolingExplorer(**kwargs)


# --------------------------------------------------------------------------------------------------
# The window-position slider, the written-out max or mean and the play button
# --------------------------------------------------------------------------------------------------


def written_values_and_result(window_text):
    """([values inside max(…) or mean(…)], result) of a written-out line; −∞ becomes -inf."""
    inside, result = window_text.split("(", 1)[1].rsplit(") = ", 1)
    values = [float(v.replace("−∞", "-inf")) for v in inside.split(", ")]
    return values, float(result)


# image, window, stride, padding, mode: the notebook's default, average pooling with zero padding,
# max pooling with −∞ padding and overlapping windows on a random image.
@pytest.mark.parametrize(
    "name, pool_size, stride, padding, mode",
    [
        ("edge image", 2, 2, 0, "max"),
        ("edge image", 3, 2, 1, "avg"),
        ("random 12×11", 3, 3, 1, "max"),
        ("random 12×11", 4, 3, 2, "avg"),
    ],
)
def test_every_window_value_equals_pytorch(images, name, pool_size, stride, padding, mode):
    explorer = helpers.PoolingExplorer(images, pool_size, stride, padding, mode)
    explorer.image.value = name
    image = images[name].reshape(images[name].shape[-2:])
    pool = torch.nn.functional.max_pool2d if mode == "max" else torch.nn.functional.avg_pool2d
    expected = pool(image[None, None], pool_size, stride, padding)[0, 0]
    width = expected.shape[1]
    assert explorer.window.max == expected.numel() - 1
    for window in range(expected.numel()):
        explorer.window.value = window
        i, j = divmod(window, width)
        text = explorer.window_text
        assert text.startswith(f"Y[{i}, {j}] = {'max' if mode == 'max' else 'mean'}(")
        values, result = written_values_and_result(text)
        assert len(values) == pool_size * pool_size
        # Three significant digits are written.
        assert result == pytest.approx(expected[i, j].item(), rel=5e-3, abs=1e-9), text
        assert html.escape(text) in explorer.window_html.value


def test_max_pooling_writes_its_padding_as_minus_infinity():
    explorer = helpers.PoolingExplorer(pool_size=2, stride=1, padding=1)
    assert explorer.window_text == "Y[0, 0] = max(−∞, −∞, −∞, 1) = 1"
    explorer.mode.value = "avg"
    assert explorer.window_text == "Y[0, 0] = mean(0, 0, 0, 1) = 0.25"


def test_play_steps_the_window_slider_and_follows_the_number_of_positions(images):
    explorer = helpers.PoolingExplorer(images, pool_size=3, stride=1)
    play, window = explorer.play, explorer.window
    for control, css_class in ((play, "pool-play"), (window, "pool-window")):
        assert css_class in control._dom_classes
    assert "pool-window-value" in explorer.window_html._dom_classes
    assert explorer.play_link.source == (play, "value")
    assert explorer.play_link.target == (window, "value")
    assert 0 < play.interval <= 200  # at least 5 positions a second
    for image in ("edge image", "random 12×11"):
        explorer.image.value = image
        assert (play.min, play.max) == (0, explorer.pooled.numel() - 1)
        assert (window.min, window.max) == (play.min, play.max)
        assert not play.disabled
    window.value = window.max
    explorer.stride.value = 3  # fewer positions: the slider and the play are clamped
    assert window.value == window.max == play.max == explorer.pooled.numel() - 1
    explorer.padding.value = 2  # more than half the window: nothing to play
    assert play.disabled and window.disabled
    assert explorer.window_text == "" and explorer.window_html.value == ""


def test_picture_follows_the_window_and_comes_back_the_same():
    explorer = helpers.PoolingExplorer()
    pictures = []
    for window in (0, 5, 0):
        explorer.window.value = window
        pictures.append(explorer.output_png)
        assert explorer.output.value == explorer.output_png
    first, moved, back = pictures
    assert moved != first
    assert back == first  # each picture is drawn afresh, nothing of the last one stays


# Accessibility: what the controls are called, what the picture says, what the live region says


def test_controls_are_named_for_what_they_set():
    explorer = helpers.PoolingExplorer()
    names = [c.description for c in (explorer.image, explorer.pool_size, explorer.stride)]
    assert names + [explorer.padding.description] == ["image", "pool size", "stride", "padding"]
    assert explorer.window.description == "window position"
    assert explorer.mode.description == "pooling"
    assert explorer.mode.options == (("max", "max"), ("average", "avg"))
    texts = explorer.play.texts
    assert texts["play_name"].startswith("Play") and texts["stop_name"].startswith("Stop")
    assert texts["keys"].startswith("Keys: ") and "Enter or Space" in texts["keys"]
    assert explorer.play.interval == 160  # the play rate: one window every 160 ms


def test_alt_text_and_announcement_say_the_window_and_its_value():
    explorer = helpers.PoolingExplorer(pool_size=2, stride=1, padding=1)
    assert explorer.announcement == "Window 1 of 63: Y[0, 0] = max(−∞, −∞, −∞, 1) = 1."
    assert explorer.play.announcement == explorer.announcement  # what the live region says
    assert (
        explorer.output.alt
        == explorer.alt_text()
        == (
            "Input: edge image 6×8 padded to 8×10 (tan), the current 2×2 window outlined in red "
            "from row 0, column 0, the next one dashed blue; output: max pooled 7×9, "
            "Y[0, 0] = max(−∞, −∞, −∞, 1) = 1."
        )
    )
    explorer.window.value = explorer.window.max  # the last window has no next one
    assert "dashed" not in explorer.output.alt and "from row 6, column 8" in explorer.output.alt
    explorer.padding.value = 2  # more than half the window: no output
    assert explorer.announcement == f"No output: {explorer.message}"
    assert explorer.output.alt.endswith(f"no output: {explorer.message}")
