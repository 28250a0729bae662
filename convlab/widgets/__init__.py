"""The series' interactive widgets, each on the shared ``LessonWidget`` base."""

from convlab.widgets.base import LessonWidget
from convlab.widgets.conv_shape import ConvShapeExplorer
from convlab.widgets.kernel_editor import KERNEL_ENTRY_BOUND, KernelEditor, editor_presets
from convlab.widgets.lenet_explorer import LeNetExplorer
from convlab.widgets.pooling import PoolingExplorer
from convlab.widgets.window_inspector import WindowInspector

__all__ = [
    "KERNEL_ENTRY_BOUND",
    "ConvShapeExplorer",
    "KernelEditor",
    "LeNetExplorer",
    "LessonWidget",
    "PoolingExplorer",
    "WindowInspector",
    "editor_presets",
]
