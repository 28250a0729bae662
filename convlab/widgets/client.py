"""Views drawn in the browser (anywidget): for pointing, drawing and animating without a kernel
round trip per mouse move.

Each view's JavaScript is an ES module in ``convlab/widgets/js/`` (``export default { render }``),
shipped inside the package; a view class names its file, ``_esm = JS_DIR / "<name>.js"``, and
anywidget reads it and sends the text to the browser: nothing is fetched from a CDN, the series
works offline. (anywidget watches the file for live reloading only when ``ANYWIDGET_HMR=1`` is set
and the ``watchfiles`` package is installed, neither of which the series needs.) Python stays the
single source of every number a view shows: it sends the numbers (float32 arrays as bytes), the
browser only draws them and reports where the mouse is.
"""

from pathlib import Path

import matplotlib
import numpy
import torch

JS_DIR = Path(__file__).parent / "js"  # the views' ES modules, one file per view


def float32_bytes(tensor):
    """A tensor's values as little-endian float32 bytes, row-major (a JS ``Float32Array``)."""
    return tensor.detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4").tobytes()


def colormap_bytes(name, steps=256):
    """A matplotlib colour map as ``steps`` RGB triples, uint8 bytes (3·steps): a view colours a
    value t in [0, 1] with entry ``min(steps − 1, floor(t·steps))``, as matplotlib does."""
    rgba = matplotlib.colormaps[name](numpy.linspace(0.0, 1.0, steps))
    return (rgba[:, :3] * 255).round().astype("uint8").tobytes()
