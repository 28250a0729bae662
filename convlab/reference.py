"""The PyTorch computations the lessons' from-scratch code is checked against, defined once.

PyTorch's layer functions want a batch axis and a channel axis (N×C×h×w); these wrappers add and
remove them, so a reference takes the same shapes as the helper it checks.
"""

import torch.nn.functional as F


def torch_corr2d(X, K, padding=0, stride=1):
    """``F.conv2d`` (a cross-correlation) on one h×w image with one kh×kw kernel → h'×w'."""
    return F.conv2d(X[None, None], K[None, None], padding=padding, stride=stride)[0, 0]


def torch_corr2d_multi_in_out(X, K):
    """``F.conv2d`` on one ci×h×w image with a co×ci×kh×kw kernel → co×h'×w'."""
    return F.conv2d(X[None], K)[0]


def torch_pool2d(X, pool_size, mode="max", stride=None, padding=0):
    """``F.max_pool2d`` / ``F.avg_pool2d`` on h×w or c×h×w, with ``pool2d``'s arguments.

    Average pooling counts padding in the window (``count_include_pad=True``), as ``pool2d`` does.
    """
    stride = pool_size if stride is None else stride
    batch = X[None] if X.dim() == 3 else X[None, None]
    if mode == "max":
        pooled = F.max_pool2d(batch, pool_size, stride=stride, padding=padding)
    else:
        pooled = F.avg_pool2d(batch, pool_size, stride=stride, padding=padding)
    return pooled.reshape(*X.shape[:-2], *pooled.shape[-2:])
