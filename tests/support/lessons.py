"""The lessons in order, and a small slice of the data set for trainings that must be quick."""

import helpers

# The lessons, in order: notebooks/NAME.ipynb (and notebooks/zh/NAME.ipynb in Chinese).
NOTEBOOK_NAMES = [
    "01_cross_correlation",
    "02_edge_detection",
    "03_multichannel_convolution",
    "04_pooling",
    "05_lenet",
    "06_inside_lenet",
]


def first_examples(data, n_train, n_test):
    """The first n_train training and n_test test examples of ``data``, as a FashionMNIST."""
    return helpers.FashionMNIST(
        data.train_images[:n_train],
        data.train_labels[:n_train],
        data.test_images[:n_test],
        data.test_labels[:n_test],
        data.classes,
    )
