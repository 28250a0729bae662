"""The judge's plain data: what a student's kernel may send back, and what it may not."""

import json

import pytest
import torch
from torch import nn

import helpers
from classroom import plain


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -(2**70),
        float("nan"),
        "文字",
        (1, [2.5, "x"], {"k": (None,)}),
        torch.arange(6, dtype=torch.int16).reshape(2, 3),
        torch.zeros(0, 4),
        torch.tensor(3.5, dtype=torch.bfloat16),
        torch.tensor([True, False]),
        torch.randn(2, 2, dtype=torch.complex64),
    ],
)
def test_plain_values_come_back_as_they_went(value):
    back = plain.loads(plain.dumps(value))
    if isinstance(value, torch.Tensor):
        assert type(back) is torch.Tensor and back.dtype == value.dtype
        assert torch.equal(back, value)
    elif isinstance(value, float):
        assert back != back  # nan
    else:
        assert back == value and type(back) is type(value)


def test_a_tensor_keeps_requires_grad_and_a_subclass_comes_back_plain():
    class Agreeable(torch.Tensor):
        pass

    sent = torch.ones(2).requires_grad_(True), torch.zeros(2).as_subclass(Agreeable)
    graded, plain_zeros = plain.loads(plain.dumps(sent))
    assert graded.requires_grad and graded.is_leaf
    assert type(plain_zeros) is torch.Tensor and torch.equal(plain_zeros, torch.zeros(2))


@pytest.mark.parametrize("variant", helpers.LENET_VARIANTS)
def test_a_torch_nn_network_is_rebuilt_with_its_weights_and_behaviour(variant):
    net = helpers.lenet(variant).eval()
    copy = plain.loads(plain.dumps(net))
    assert [type(m) for m in copy.modules()] == [type(m) for m in net.modules()]
    X = torch.rand(2, 1, 28, 28)
    assert torch.equal(copy(X), net(X)) and not copy.training
    assert all(isinstance(p, nn.Parameter) for p in copy.parameters())


def test_hooks_of_a_sent_module_do_not_come_back():
    net = nn.Linear(3, 2)
    net.register_forward_hook(lambda module, inputs, output: output * 0)
    copy = plain.loads(plain.dumps(net))
    assert not copy._forward_hooks
    X = torch.ones(1, 3)
    assert torch.equal(copy(X), torch.nn.functional.linear(X, net.weight, net.bias))


@pytest.mark.parametrize(
    "value",
    [object(), {1: 2}, lambda: 0, torch.zeros(2).to_sparse()],
    ids=["object", "int-keys", "function", "sparse"],
)
def test_what_is_not_plain_is_refused_with_type_error(value):
    with pytest.raises(TypeError, match="cannot be checked outside the kernel"):
        plain.dumps(value)


class Mine(nn.Linear):
    """A module class of the student's own: its code would have to run in the judge."""


def test_a_module_of_a_class_outside_torch_nn_is_refused_where_it_arrives():
    with pytest.raises(TypeError, match="use torch.nn modules"):
        plain.loads(plain.dumps(Mine(2, 2)))


def _tensor(**changes):
    body = {"dtype": "float32", "shape": [2], "requires_grad": False, "data": "AAAAAAAAAAA="}
    return json.dumps({"tensor": body | changes})


@pytest.mark.parametrize(
    "text",
    [
        '{"pickle": "gASV"}',
        '{"tuple": [1], "list": [2]}',
        '{"dict": [[1, 2]]}',
        _tensor(dtype="object"),
        _tensor(shape=[3]),
        _tensor(shape=[-1]),
        _tensor(data="not base64!"),
        '{"module": {"class": "os.system", "attributes": {"dict": []}}}',
        '{"module": {"class": "torch.nn.modules.linear.Linear", "attributes": {"dict": '
        '[["_forward_hooks", 1]]}, "parameters": {"dict": []}, "buffers": {"dict": []}, '
        '"children": {"dict": []}}}',
        "[" * 100_000 + "]" * 100_000,
        '{"list": [' + ",".join(["1"] * (plain.MAX_ITEMS + 1)) + "]}",
    ],
    ids=[
        "unknown-tag",
        "two-tags",
        "int-key",
        "dtype",
        "size",
        "negative",
        "base64",
        "not-torch-nn",
        "internal-attribute",
        "deep",
        "many",
    ],  # fmt: skip
)
def test_malformed_text_is_refused(text):
    with pytest.raises((ValueError, TypeError)):
        plain.loads(text)


def test_too_big_a_value_is_refused_before_it_is_sent():
    with pytest.raises(ValueError, match="too big to check outside the kernel"):
        plain.dumps(torch.zeros(plain.MAX_CHARACTERS // 3))


def test_write_back_changes_the_callers_objects_in_place():
    X, net = torch.zeros(3), nn.Linear(2, 2)
    weight = net.weight
    changed_X, changed_net = plain.loads(plain.dumps((X + 1, net)))
    with torch.no_grad():
        changed_net.weight.fill_(7.0)
    plain.write_back((X, net), (changed_X, changed_net))
    assert torch.equal(X, torch.ones(3)) and net.weight is weight
    assert torch.equal(weight, torch.full((2, 2), 7.0))
    with pytest.raises(ValueError, match="changed the shape"):
        plain.write_back(X, torch.zeros(4))
