"""Headless tests of helpers.PoolingExplorer: set each control's value, check the state."""

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
