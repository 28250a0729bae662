"""The machinery behind ``helpers``: one module per role.

    data.py         Fashion-MNIST through torchvision, offline from Debian's package
    plotting.py     image grids, heat-maps, matrices drawn as numbered cells, figures as PNG bytes
    training.py     the training loop, prediction, the progress line shown in notebooks
    checkpoints.py  atomic checkpoint files that let training resume
    reference.py    the PyTorch computations the lessons' from-scratch code is checked against
    widgets/        the interactive widgets, one file each, on a shared base
    fonts.py        a CJK font for matplotlib, so Chinese in a figure never turns into boxes

Lesson code (``corr2d``, ``pool2d``, ``lenet`` …) lives in ``helpers.py``; this package builds
on it. It holds run-time code only: the build tools live in ``tools/``, the browser driver of the
tests and benchmarks in ``tests/support/``.
"""
