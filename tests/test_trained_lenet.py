"""The trained network lesson 06 starts from: trained once, kept in a git-ignored checkpoint."""

import pytest
import torch

import helpers
from support.lessons import first_examples


def test_checkpoint_path_is_git_ignored_under_build_and_checks_its_arguments():
    path = helpers.checkpoint_path("modern", seed=3)
    assert path == helpers.REPO_ROOT / "build" / "checkpoints" / "lenet-modern-seed3.pt"
    assert path.parent.is_dir()
    with pytest.raises(ValueError, match="variant must be one of 'notes', 'lenet5', 'modern'"):
        helpers.checkpoint_path("vgg")
    with pytest.raises(TypeError, match="seed must be an int, got str '0'"):
        helpers.checkpoint_path("notes", seed="0")


@pytest.mark.slow
def test_trained_lenet_trains_once_then_loads_the_same_weights(fashion):
    data = first_examples(fashion, 512, 256)
    path = helpers.checkpoint_path("notes", seed=7)  # not a lesson's file
    path.unlink(missing_ok=True)
    try:
        net, history = helpers.trained_lenet(data, seed=7, progress=False)
        assert path.exists() and len(history["epoch"]) == helpers.LESSON_RECIPE["epochs"]
        again, loaded = helpers.trained_lenet(data, seed=7, progress=False)
        assert loaded == history
        for a, b in zip(net.state_dict().values(), again.state_dict().values()):
            assert torch.equal(a, b)
    finally:
        path.unlink(missing_ok=True)
