"""Where colour carries meaning it survives the common colour-vision deficiencies (the windows'
outlines also differ in line style, solid red and dashed blue): each pair of colours the widgets
and plots must keep apart stays apart when simulated for full protanopia, deuteranopia and
tritanopia (Machado et al. 2009, as colorspacious implements it), measured as a distance in
CAM02-UCS (about 1 is just noticeable)."""

import matplotlib
import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from convlab.plotting import BLUE, RED, SIGNED_CMAP
from convlab.widgets.lenet_explorer import BAR, BEST_BAR

DEFICIENCIES = ("protanomaly", "deuteranomaly", "tritanomaly")
CLEARLY_APART = 20  # CAM02-UCS distance: the pairs below reach 24 or more


def rgb(colour):
    """sRGB in [0, 1] from '#rrggbb' or a 0–255 triple."""
    if isinstance(colour, str):
        return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.array(colour) / 255


def seen_with(deficiency, colour):
    space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
    return np.clip(cspace_convert(colour, space, "sRGB1"), 0, 1)


def signed_ends():
    """The signed colour map's colours for −limit and +limit."""
    cmap = matplotlib.colormaps[SIGNED_CMAP]
    return np.array(cmap(0.0)[:3]), np.array(cmap(1.0)[:3])


PAIRS = {
    "current window (red) and next window (blue)": (rgb(RED), rgb(BLUE)),
    "most probable class's bar and the other bars": (rgb(BEST_BAR), rgb(BAR)),
    "negative and positive values": signed_ends(),
}


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
@pytest.mark.parametrize("pair", PAIRS)
def test_colours_that_carry_meaning_stay_apart(pair, deficiency):
    a, b = PAIRS[pair]
    assert deltaE(a, b, input_space="sRGB1") >= CLEARLY_APART
    apart = deltaE(seen_with(deficiency, a), seen_with(deficiency, b), input_space="sRGB1")
    assert apart >= CLEARLY_APART, f"{pair}: {apart:.1f} apart with {deficiency}"
