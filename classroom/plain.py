"""Plain data across the grader's channel: values as JSON text, never a pickled object.

The trusted judge (classroom.judge) calls a student's functions in the student's sandboxed kernel
(classroom.kernel_side) and gets their results back through this encoding only, so nothing the
student's process sends can run code in the judge. One module serves both sides: the kernel
imports its copy from the grading workspace.

What crosses: None, bools, ints, floats, strings; tuples, lists and string-keyed dicts of them;
tensors (dtype, shape, ``requires_grad`` and raw bytes); and modules of ``torch.nn`` (class,
plain attributes, parameters, buffers, child modules), rebuilt without running any constructor.
Anything else is refused with TypeError, a malformed message with ValueError.
"""

import base64
import json
import sys

import torch
from torch import nn

MAX_DEPTH = 64  # nesting of containers and modules
MAX_ITEMS = 100_000  # values in one message, all levels together
# Characters of one message's text: well under the largest message the grader takes from a kernel
# (classroom.execute.MESSAGE_LIMIT_BYTES, 32 MiB), so that the envelope fits too.
MAX_CHARACTERS = 24 * 2**20
DTYPES = {
    str(dtype).removeprefix("torch."): dtype
    for dtype in (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
    + (torch.float16, torch.bfloat16, torch.float32, torch.float64)
    + (torch.complex64, torch.complex128)
}
MODULE_PREFIX = "torch.nn.modules."  # where the classes of modules that cross may come from
# What every nn.Module holds in its __dict__ (hooks, registries): rebuilt by nn.Module.__init__.
_MODULE_INTERNALS = frozenset(nn.Module().__dict__)


def dumps(value):
    """``value`` as JSON text (see the module docstring for what may cross); ValueError if that
    is over MAX_CHARACTERS."""
    text = json.dumps(_encode(value, 0, [0]), allow_nan=True, separators=(",", ":"))
    if len(text) > MAX_CHARACTERS:
        raise ValueError(
            f"the value is too big to check outside the kernel: {len(text) / 2**20:.0f} MiB "
            f"as text, at most {MAX_CHARACTERS // 2**20} MiB"
        )
    return text


def loads(text):
    """The value JSON ``text`` from ``dumps`` stands for; ValueError if it is malformed."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"text must be at most {MAX_CHARACTERS} characters, got {len(text)}")
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("plain data nested too deeply") from None
    return _decode(data, 0, [0])


def _count(depth, budget):
    if depth > MAX_DEPTH:
        raise ValueError(f"plain data nested deeper than {MAX_DEPTH} levels")
    budget[0] += 1
    if budget[0] > MAX_ITEMS:
        raise ValueError(f"plain data holds more than {MAX_ITEMS} values")


def _encode(value, depth, budget):
    _count(depth, budget)
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (tuple, list):
        return {type(value).__name__: [_encode(item, depth + 1, budget) for item in value]}
    if type(value) is dict and all(type(key) is str for key in value):
        return {"dict": [[key, _encode(item, depth + 1, budget)] for key, item in value.items()]}
    if isinstance(value, torch.Tensor):
        return {"tensor": _encode_tensor(value)}
    if isinstance(value, nn.Module):
        return {"module": _encode_module(value, depth, budget)}
    raise TypeError(
        f"a {type(value).__name__} cannot be checked outside the kernel: return tensors, "
        "numbers, strings, None, torch.nn modules, or tuples, lists and dicts of them"
    )


def _encode_tensor(tensor):
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_meta:
        raise TypeError(f"a {tensor.layout} tensor cannot be checked outside the kernel")
    name = str(tensor.dtype).removeprefix("torch.")
    if name not in DTYPES:
        raise TypeError(f"a tensor of dtype {name} cannot be checked outside the kernel")
    plain = tensor.detach().cpu().as_subclass(torch.Tensor)  # a subclass's data, plainly
    raw = plain.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    return {
        "dtype": name,
        "shape": list(plain.shape),
        "requires_grad": bool(tensor.requires_grad),
        "data": base64.b64encode(raw).decode("ascii"),
    }


def _encode_module(module, depth, budget):
    kind = type(module)
    attributes = {key: item for key, item in vars(module).items() if key not in _MODULE_INTERNALS}
    return {
        "class": f"{kind.__module__}.{kind.__qualname__}",
        "training": bool(module.training),
        "attributes": _encode(attributes, depth + 1, budget),
        "parameters": _encode(dict(module._parameters), depth + 1, budget),
        "buffers": _encode(dict(module._buffers), depth + 1, budget),
        "children": _encode(dict(module._modules), depth + 1, budget),
    }


def _decode(data, depth, budget):
    _count(depth, budget)
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is not dict or len(data) != 1:
        raise ValueError(f"malformed plain data: {type(data).__name__}")
    (tag, body), = data.items()  # fmt: skip
    if tag in ("tuple", "list") and type(body) is list:
        items = [_decode(item, depth + 1, budget) for item in body]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict" and type(body) is list:
        return dict(_decode_pair(pair, depth, budget) for pair in body)
    if tag == "tensor" and type(body) is dict:
        return _decode_tensor(body)
    if tag == "module" and type(body) is dict:
        return _decode_module(body, depth, budget)
    raise ValueError(f"malformed plain data: tag {str(tag)[:40]!r}")


def _decode_pair(pair, depth, budget):
    if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
        raise ValueError("malformed plain data: a dict entry is not a [key, value] pair")
    return pair[0], _decode(pair[1], depth + 1, budget)


def _decode_tensor(body):
    dtype, shape = DTYPES.get(body.get("dtype")), body.get("shape")
    if dtype is None or type(shape) is not list or not all(type(n) is int for n in shape):
        raise ValueError("malformed tensor: unknown dtype or shape")
    if any(n < 0 for n in shape) or type(body.get("data")) is not str:
        raise ValueError("malformed tensor: negative size or no data")
    raw = base64.b64decode(body["data"], validate=True)
    numel = 1
    for n in shape:
        numel *= n
    if len(raw) != numel * dtype.itemsize:
        raise ValueError(f"malformed tensor: {len(raw)} bytes for shape {shape} of {dtype}")
    if numel == 0:
        tensor = torch.empty(shape, dtype=dtype)
    else:
        tensor = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape)
    return tensor.requires_grad_(body.get("requires_grad") is True and tensor.is_floating_point())


def _module_class(name):
    """The torch.nn module class named ``name``, without importing anything."""
    module_name, _, class_name = name.rpartition(".") if isinstance(name, str) else ("", "", "")
    module = sys.modules.get(module_name) if module_name.startswith(MODULE_PREFIX) else None
    kind = getattr(module, class_name, None) if class_name.isidentifier() else None
    if not (isinstance(kind, type) and issubclass(kind, nn.Module)):
        shown = str(name)[:80]
        raise TypeError(f"a {shown} cannot be checked outside the kernel: use torch.nn modules")
    return kind


def _decode_module(body, depth, budget):
    kind = _module_class(body.get("class"))
    parts = {
        key: _decode(body.get(key), depth + 1, budget)
        for key in ("attributes", "parameters", "buffers", "children")
    }
    if not all(type(part) is dict for part in parts.values()):
        raise ValueError("malformed module: its parts must be dicts")
    module = kind.__new__(kind)
    nn.Module.__init__(module)
    module.training = body.get("training") is True
    for key, item in parts["attributes"].items():
        if key in _MODULE_INTERNALS or key.startswith("__"):
            raise ValueError(f"malformed module: attribute {key[:40]!r}")
        module.__dict__[key] = item
    for key, item in parts["parameters"].items():
        if item is not None and not isinstance(item, torch.Tensor):
            raise ValueError(f"malformed module: parameter {key[:40]!r} is no tensor")
        module._parameters[key] = None if item is None else nn.Parameter(item, item.requires_grad)
    for key, item in parts["buffers"].items():
        if item is not None and not isinstance(item, torch.Tensor):
            raise ValueError(f"malformed module: buffer {key[:40]!r} is no tensor")
        module._buffers[key] = item
    for key, item in parts["children"].items():
        if item is not None and not isinstance(item, nn.Module):
            raise ValueError(f"malformed module: child {key[:40]!r} is no module")
        module._modules[key] = item
    return module


def write_back(originals, changed):
    """Make ``originals`` (the arguments of a call) hold what the student's function left in its
    copies, ``changed``: tensors and modules changed in place stay the same objects here."""
    if isinstance(originals, torch.Tensor):
        if not isinstance(changed, torch.Tensor) or changed.shape != originals.shape:
            raise ValueError("the function changed the shape of a tensor argument in place")
        with torch.no_grad():
            originals.copy_(changed)
    elif isinstance(originals, nn.Module) and type(changed) is type(originals):
        _write_back_module(originals, changed)
    elif isinstance(originals, (tuple, list)) and type(changed) is type(originals):
        for original, new in zip(originals, changed, strict=True):
            write_back(original, new)
    elif isinstance(originals, dict) and isinstance(changed, dict):
        for key, original in originals.items():
            write_back(original, changed[key])


def _write_back_module(original, changed):
    original.training = changed.training
    for key in vars(changed).keys() - _MODULE_INTERNALS:
        original.__dict__[key] = vars(changed)[key]
    for table in ("_parameters", "_buffers", "_modules"):
        mine, theirs = getattr(original, table), getattr(changed, table)
        for key in list(mine):
            if key not in theirs:
                del mine[key]
        for key, new in theirs.items():
            old = mine.get(key)
            same = old is not None and new is not None and type(old) is type(new)
            if same and isinstance(old, nn.Module):
                _write_back_module(old, new)
            elif same and old.shape == new.shape and old.dtype == new.dtype:
                with torch.no_grad():
                    old.copy_(new)
            else:
                mine[key] = new
