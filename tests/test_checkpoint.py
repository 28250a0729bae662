"""Checkpoint and resume of helpers.train.

A run killed with SIGKILL mid-training and resumed ends with the same weights and history as an
uninterrupted run; a corrupt or mismatched checkpoint is an error, never a fresh start.

The runs use the seed LeNet on 6000 real Fashion-MNIST images with one CPU thread, so that they are
bit-for-bit reproducible across processes.
"""

import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

import helpers
from support.lessons import first_examples

EPOCHS, N_TRAIN, N_TEST, BATCH = 4, 6000, 1000, 128
RUN = textwrap.dedent(f"""
    import sys, torch, helpers
    torch.set_num_threads(1)
    data = helpers.load_fashion_mnist()
    data = helpers.FashionMNIST(
        data.train_images[:{N_TRAIN}], data.train_labels[:{N_TRAIN}],
        data.test_images[:{N_TEST}], data.test_labels[:{N_TEST}], data.classes)
    torch.manual_seed(0)
    helpers.train(helpers.lenet("notes"), data, epochs={EPOCHS}, batch_size={BATCH}, seed=5,
                  device="cpu", progress=False, checkpoint=sys.argv[1])
""")


@pytest.fixture(scope="module")
def data(fashion):
    return first_examples(fashion, N_TRAIN, N_TEST)


def count_training_batches(net):
    """Attach a hook that counts forward passes in training mode.

    Returns the one-element counter list.
    """
    counter = [0]
    net.register_forward_pre_hook(
        lambda module, args: counter.__setitem__(0, counter[0] + module.training)
    )
    return counter


def run_in_process(data, checkpoint=None, variant="notes", **settings):
    """Train as the subprocess does; returns (net, history, number of training batches run here)."""
    torch.manual_seed(0)
    net = helpers.lenet(variant)
    batches = count_training_batches(net)
    arguments = (
        dict(epochs=EPOCHS, batch_size=BATCH, seed=5, device="cpu", progress=False) | settings
    )
    history = helpers.train(net, data, checkpoint=checkpoint, **arguments)
    return net, history, batches[0]


def without_times(history):
    return {key: values for key, values in history.items() if key != "seconds"}


def kill_after_first_checkpoint(path):
    """Start a training run in a subprocess, SIGKILL it as soon as its first checkpoint exists."""
    process = subprocess.Popen([sys.executable, "-c", RUN, str(path)])
    try:
        while not path.exists():
            assert process.poll() is None, (
                f"the training subprocess ended early (exit {process.returncode})"
            )
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_weights_and_history(tmp_path, data, one_thread):
    path = tmp_path / "run.pt"
    kill_after_first_checkpoint(path)
    done = len(torch.load(path, weights_only=True)["history"]["epoch"])
    assert 1 <= done < EPOCHS, (
        f"the kill should land mid-run, but the checkpoint holds {done} epochs"
    )

    resumed, resumed_history, resumed_batches = run_in_process(data, checkpoint=path)
    reference, reference_history, reference_batches = run_in_process(data)

    steps = -(-N_TRAIN // BATCH)
    assert resumed_batches == (EPOCHS - done) * steps, (
        "the resumed run must start after the saved epochs"
    )
    assert reference_batches == EPOCHS * steps
    assert without_times(resumed_history) == without_times(reference_history)
    assert resumed.state_dict().keys() == reference.state_dict().keys()
    for name, tensor in reference.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), f"{name} differs after resuming"


def test_a_finished_checkpoint_returns_its_history_without_training(tmp_path, data, one_thread):
    path = tmp_path / "run.pt"
    _, history, _ = run_in_process(data, checkpoint=path, epochs=1)
    assert not (tmp_path / "run.pt.partial").exists(), (
        "the temporary file must be renamed into place"
    )
    net, again, batches = run_in_process(data, checkpoint=path, epochs=1)
    assert batches == 0 and again == history


@pytest.fixture
def one_epoch_checkpoint(tmp_path, data):
    path = tmp_path / "run.pt"
    run_in_process(data, checkpoint=path, epochs=1)
    return path


def test_a_corrupt_checkpoint_is_an_error(one_epoch_checkpoint, data):
    one_epoch_checkpoint.write_bytes(b"not a checkpoint")
    net = helpers.lenet("notes")
    batches = count_training_batches(net)
    with pytest.raises(RuntimeError, match="corrupt.*delete it"):
        helpers.train(net, data, epochs=1, progress=False, checkpoint=one_epoch_checkpoint)
    assert batches[0] == 0


def test_a_truncated_checkpoint_is_an_error(one_epoch_checkpoint, data):
    content = one_epoch_checkpoint.read_bytes()
    one_epoch_checkpoint.write_bytes(content[: len(content) // 2])
    with pytest.raises(RuntimeError, match="corrupt"):
        run_in_process(data, checkpoint=one_epoch_checkpoint, epochs=1)


def test_a_checkpoint_of_other_settings_is_an_error(one_epoch_checkpoint, data):
    with pytest.raises(
        ValueError, match="different training run.*batch_size: checkpoint 128, now 64"
    ):
        run_in_process(data, checkpoint=one_epoch_checkpoint, epochs=1, batch_size=64)


def test_a_checkpoint_of_another_network_is_an_error(one_epoch_checkpoint, data):
    with pytest.raises(ValueError, match="does not fit this network"):
        run_in_process(data, checkpoint=one_epoch_checkpoint, epochs=1, variant="lenet5")
