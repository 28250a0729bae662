"""Every from-scratch helper against its PyTorch counterpart, every bad input against its error."""

import ast
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import helpers
from convlab.reference import torch_corr2d, torch_corr2d_multi_in_out, torch_pool2d

RNG = torch.Generator().manual_seed(0)


def random_size(low, high):
    return int(torch.randint(low, high + 1, (1,), generator=RNG))


# --- 01 cross-correlation -------------------------------------------------------------------------


@pytest.mark.parametrize("trial", range(10))
def test_corr2d_and_vectorized_match_conv2d_on_random_shapes(trial):
    h, w = random_size(1, 12), random_size(1, 12)
    K = torch.randn(random_size(1, h), random_size(1, w), generator=RNG)  # non-square kernels too
    X = torch.randn(h, w, generator=RNG)
    expected = torch_corr2d(X, K)
    torch.testing.assert_close(helpers.corr2d(X, K), expected)
    torch.testing.assert_close(helpers.corr2d_vectorized(X, K), expected)


def test_corr2d_vectorized_handles_a_batch():
    X = torch.randn(5, 9, 7, generator=RNG)
    K = torch.randn(3, 2, generator=RNG)
    expected = F.conv2d(X[:, None], K[None, None])[:, 0]
    torch.testing.assert_close(helpers.corr2d_vectorized(X, K), expected)


def test_conv2d_layer_output_and_gradients_match_pytorch():
    layer = helpers.Conv2D((2, 3))
    X = torch.randn(6, 7, generator=RNG)
    reference_weight = layer.weight.detach().clone().requires_grad_()
    reference_bias = layer.bias.detach().clone().requires_grad_()
    out = layer(X)
    reference = F.conv2d(X[None, None], reference_weight[None, None], reference_bias)[0, 0]
    torch.testing.assert_close(out, reference)

    grad_out = torch.randn_like(out)
    out.backward(grad_out)
    reference.backward(grad_out)
    torch.testing.assert_close(layer.weight.grad, reference_weight.grad)
    torch.testing.assert_close(layer.bias.grad, reference_bias.grad)


def test_conv2d_registers_weight_and_bias_as_parameters():
    layer = helpers.Conv2D(3)
    assert {name: tuple(p.shape) for name, p in layer.named_parameters()} == {
        "weight": (3, 3),
        "bias": (1,),
    }


@pytest.mark.parametrize(
    "n,k,p,s",
    [
        (8, 3, 0, 1),
        (8, 3, 1, 2),
        (7, 2, 1, 3),
        ((28, 20), (5, 3), (2, 0), (1, 2)),
        ((6, 8), (1, 2), 0, 1),
        (5, 5, 2, 4),
        ((9, 4), 3, (1, 2), (2, 1)),
    ],
)
def test_conv_output_shape_matches_nn_conv2d(n, k, p, s):
    hw = n if isinstance(n, tuple) else (n, n)
    out = nn.Conv2d(1, 1, k, padding=p, stride=s)(torch.zeros(1, 1, *hw)).shape[2:]
    result = helpers.conv_output_shape(n, k, p, s)
    assert (result if isinstance(result, tuple) else (result, result)) == tuple(out)


# --- 03 multi-channel -----------------------------------------------------------------------------


@pytest.mark.parametrize("trial", range(5))
def test_multi_channel_correlations_match_conv2d(trial):
    ci, co = random_size(1, 4), random_size(1, 4)
    h, w = random_size(3, 9), random_size(3, 9)
    X = torch.randn(ci, h, w, generator=RNG)
    K = torch.randn(co, ci, random_size(1, 3), random_size(1, 3), generator=RNG)
    expected = torch_corr2d_multi_in_out(X, K)
    torch.testing.assert_close(helpers.corr2d_multi_in(X, K[0]), expected[0])
    torch.testing.assert_close(helpers.corr2d_multi_in_out(X, K), expected)


def test_1x1_convolution_as_matrix_product_matches_conv2d_and_loops():
    X = torch.randn(3, 5, 4, generator=RNG)
    K = torch.randn(2, 3, 1, 1, generator=RNG)
    result = helpers.corr2d_multi_in_out_1x1(X, K)
    torch.testing.assert_close(result, torch_corr2d_multi_in_out(X, K))
    assert (result - helpers.corr2d_multi_in_out(X, K)).abs().max() < 1e-6


# --- 04 pooling -----------------------------------------------------------------------------------

POOL_SETTINGS = [
    (2, None, 0),
    (3, 1, 1),
    (3, 2, 0),
    ((2, 3), (1, 2), (1, 1)),
    ((3, 2), None, (1, 0)),
    (4, 3, 2),
    (1, 1, 0),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("pool_size,stride,padding", POOL_SETTINGS)
def test_pool2d_matches_pytorch_pooling(mode, pool_size, stride, padding):
    X = torch.randn(3, random_size(5, 10), random_size(5, 10), generator=RNG)
    expected = torch_pool2d(X, pool_size, mode, stride, padding)
    torch.testing.assert_close(helpers.pool2d(X, pool_size, mode, stride, padding), expected)
    torch.testing.assert_close(helpers.pool2d(X[0], pool_size, mode, stride, padding), expected[0])


def test_max_pooling_ignores_padding_even_for_negative_inputs():
    X = -torch.rand(4, 4, generator=RNG) - 1  # all values below the zero padding
    assert helpers.pool2d(X, 2, "max", stride=1, padding=1).max() < 0


# --- 02 kernels, plotting -------------------------------------------------------------------------


def test_edge_kernel_marks_the_two_edges_of_the_edge_image():
    Y = helpers.corr2d(helpers.edge_image(), helpers.classic_kernels()["edge"])
    expected = torch.zeros(6, 7)
    expected[:, 1], expected[:, 5] = 1, -1
    torch.testing.assert_close(Y, expected)


def test_blur_kernels_keep_brightness_and_derivative_kernels_ignore_flat_images():
    kernels = helpers.classic_kernels()
    flat = torch.full((5, 5), 0.7)
    for name in ("box_blur", "gaussian_blur", "identity", "sharpen"):
        torch.testing.assert_close(helpers.corr2d(flat, kernels[name]), torch.full((3, 3), 0.7))
    for name in ("sobel_x", "sobel_y", "diagonal", "laplacian", "edge"):
        assert helpers.corr2d(flat, kernels[name]).abs().max() < 1e-6, name


def test_heatmap_colour_scale_is_centred_on_zero():
    ax = helpers.show_heatmap(torch.tensor([[-1.0, 3.0], [0.5, 2.0]]), annotate=True)
    vmin, vmax = ax.images[0].get_clim()
    assert (vmin, vmax) == (-3.0, 3.0)
    assert len(ax.texts) == 4


def test_show_images_draws_one_titled_axis_per_image():
    fig = helpers.show_images(torch.rand(5, 1, 8, 8), titles=list("abcde"), ncols=3)
    titled = [ax.get_title() for ax in fig.axes if ax.images]
    assert titled == list("abcde")
    assert helpers.figure_png(fig).startswith(b"\x89PNG")


# --- bad input ------------------------------------------------------------------------------------

X2, K2 = torch.rand(4, 5), torch.rand(2, 2)
BAD_CALLS = [
    (
        "non-tensor X",
        lambda: helpers.corr2d([[1.0, 2.0]], K2),
        TypeError,
        "X must be a torch.Tensor",
    ),
    (
        "non-tensor K",
        lambda: helpers.corr2d_vectorized(X2, 3),
        TypeError,
        "K must be a torch.Tensor",
    ),
    (
        "integer X",
        lambda: helpers.corr2d(torch.ones(3, 3, dtype=torch.int64), K2),
        TypeError,
        "floating-point",
    ),
    ("3-D X", lambda: helpers.corr2d(torch.rand(1, 4, 4), K2), ValueError, "got shape (1, 4, 4)"),
    ("1-D K", lambda: helpers.corr2d(X2, torch.rand(2)), ValueError, "K must have shape kh×kw"),
    (
        "empty X",
        lambda: helpers.corr2d_vectorized(torch.rand(0, 4), K2),
        ValueError,
        "X must not be empty",
    ),
    (
        "kernel too large",
        lambda: helpers.corr2d(X2, torch.rand(5, 2)),
        ValueError,
        "larger than the padded input",
    ),
    (
        "kernel too large (vectorized)",
        lambda: helpers.corr2d_vectorized(X2, torch.rand(2, 6)),
        ValueError,
        "larger than the padded input",
    ),
    ("Conv2D kernel 0", lambda: helpers.Conv2D(0), ValueError, "kernel_size must be ≥ 1"),
    (
        "Conv2D kernel str",
        lambda: helpers.Conv2D("3"),
        TypeError,
        "kernel_size must be an int or a pair",
    ),
    (
        "stride 0",
        lambda: helpers.conv_output_shape(8, 3, 0, 0),
        ValueError,
        "stride must be ≥ 1, got 0",
    ),
    (
        "negative padding",
        lambda: helpers.conv_output_shape(8, 3, -1),
        ValueError,
        "padding must be ≥ 0",
    ),
    (
        "kernel > padded input",
        lambda: helpers.conv_output_shape(4, 7, 1),
        ValueError,
        "larger than the padded",
    ),
    (
        "channel mismatch",
        lambda: helpers.corr2d_multi_in(torch.rand(3, 4, 4), torch.rand(2, 2, 2)),
        ValueError,
        "X has 3 input channels but K expects 2",
    ),
    (
        "channel mismatch in/out",
        lambda: helpers.corr2d_multi_in_out(torch.rand(2, 4, 4), torch.rand(1, 3, 2, 2)),
        ValueError,
        "X has 2 input channels but K expects 3",
    ),
    (
        "1x1 with 3x3 kernel",
        lambda: helpers.corr2d_multi_in_out_1x1(torch.rand(2, 4, 4), torch.rand(1, 2, 3, 3)),
        ValueError,
        "K must be a 1×1 kernel",
    ),
    (
        "multi-in with 2-D X",
        lambda: helpers.corr2d_multi_in(X2, torch.rand(1, 2, 2)),
        ValueError,
        "c×h×w",
    ),
    ("pool size 0", lambda: helpers.pool2d(X2, 0), ValueError, "pool_size must be ≥ 1, got 0"),
    (
        "pool stride 0",
        lambda: helpers.pool2d(X2, 2, stride=0),
        ValueError,
        "stride must be ≥ 1, got 0",
    ),
    (
        "pool padding > half window",
        lambda: helpers.pool2d(X2, 3, padding=2),
        ValueError,
        "padding 2 must be at most half of pool_size 3",
    ),
    (
        "pool window > input",
        lambda: helpers.pool2d(X2, 6),
        ValueError,
        "larger than the padded input",
    ),
    (
        "pool unknown mode",
        lambda: helpers.pool2d(X2, 2, mode="min"),
        ValueError,
        "mode must be one of 'max', 'avg', got 'min'",
    ),
    (
        "pool 4-D input",
        lambda: helpers.pool2d(torch.rand(1, 1, 4, 4), 2),
        ValueError,
        "h×w or c×h×w",
    ),
    (
        "pool empty input",
        lambda: helpers.pool2d(torch.rand(2, 0, 4), 2),
        ValueError,
        "X must not be empty",
    ),
    (
        "heatmap 3-D",
        lambda: helpers.show_heatmap(torch.rand(2, 2, 2)),
        ValueError,
        "matrix must be a 2-D tensor",
    ),
    (
        "heatmap list",
        lambda: helpers.show_heatmap([[1.0]]),
        TypeError,
        "matrix must be a torch.Tensor",
    ),
    (
        "kernel_size triple",
        lambda: helpers.conv_output_shape(8, (3, 3, 3)),
        ValueError,
        "got 3 values",
    ),
    (
        "stride float",
        lambda: helpers.conv_output_shape(8, 3, 0, 1.5),
        TypeError,
        "stride must be an int",
    ),
    (
        "show_images titles",
        lambda: helpers.show_images(torch.rand(2, 4, 4), titles=["a"]),
        ValueError,
        "one entry per image",
    ),
    (
        "data root type",
        lambda: helpers.load_fashion_mnist(root=3),
        TypeError,
        "root must be a folder path",
    ),
]


@pytest.mark.parametrize(
    "call,error,message", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error) as excinfo:
        call()
    assert message in str(excinfo.value)


def index_of_helpers():
    """``{name: module or None}`` from the two lists in helpers' docstring (None: defined in it)."""
    index, module = {}, None
    for line in helpers.__doc__.splitlines():
        if not line.startswith("    "):
            continue
        columns = re.split(r"\s{2,}", line.strip())
        if line.startswith(
            "     "
        ):  # a continuation line: names only, the module of the line above
            names = columns[0]
        else:
            names, module = columns[1], (columns[2] if len(columns) > 2 else None)
        for name in filter(None, (name.strip() for name in names.split(","))):
            index[name] = module
    return index


def test_the_index_in_helpers_lists_exactly_what_helpers_offers():
    tree = ast.parse(Path(helpers.__file__).read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    defined |= {
        name.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        for name in (target.elts if isinstance(target, ast.Tuple) else [target])
    }
    offered = {name: None for name in defined if not name.startswith("_")}
    offered |= helpers._MODULE_OF
    assert index_of_helpers() == offered
    for name in offered:
        assert getattr(helpers, name) is not None  # every re-export imports
