"""Training LeNet: the loop with checkpoints, evaluation, prediction and a progress line.

The data sit on the device as tensors and batches are cut by index from a seeded permutation, so a
run is reproducible and no DataLoader workers are needed for 28×28 images.
"""

import inspect
from numbers import Real
from pathlib import Path
from time import perf_counter

import torch
import torch.nn.functional as F
from torch import nn

from convlab.checkpoints import load_checkpoint, save_checkpoint
from convlab.data import check_labels
from convlab.language import _
from convlab.plotting import figure_png, history_figure
from helpers import check_int, check_tensor, standardize

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")
CONFIG_KEYS = ("epochs", "batch_size", "lr", "momentum", "weight_decay", "label_smoothing",
               "augment", "seed")  # fmt: skip
# train's arguments that make up a training recipe (LESSON_RECIPE below)
RECIPE_KEYS = ("epochs", "batch_size", "lr", "momentum", "weight_decay", "label_smoothing",
               "augment", "channels_last")  # fmt: skip
_BACKGROUND = standardize(torch.tensor(0.0)).item()  # a blank pixel, standardised


def pick_device():
    """The fastest device present: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _check_net(net):
    if not isinstance(net, nn.Module):
        raise TypeError(
            _("net must be a torch.nn.Module, got {type}").format(type=type(net).__name__)
        )


def predict_probabilities(net, images, batch_size=1000):
    """Class probabilities (N×classes, softmax of the logits) of ``net`` for N×1×28×28 images in
    [0, 1], standardised as in training, on the net's device; returned on the CPU.

    Switches the net to evaluation mode (batch-norm then uses its running statistics).
    """
    _check_net(net)
    check_tensor("images", images, (4,), "N×1×28×28")
    device = next(net.parameters()).device
    net.eval()
    with torch.inference_mode():
        return torch.cat(
            [
                net(standardize(images[i : i + batch_size].to(device))).softmax(dim=1).cpu()
                for i in range(0, len(images), batch_size)
            ]
        )


def predict(net, images, batch_size=1000):
    """Class predictions (N int64) of ``net`` for N×1×28×28 images in [0, 1]: the most probable
    class of ``predict_probabilities``."""
    return predict_probabilities(net, images, batch_size).argmax(dim=1)


def _check_training_data(net, data):
    """Raise before any epoch unless ``data`` fits ``net``: image shapes, label range, lengths."""
    fields = ("train_images", "train_labels", "test_images", "test_labels")
    if not all(hasattr(data, field) for field in fields):
        raise TypeError(
            _("data must have the fields {fields} (e.g. helpers.FashionMNIST), got {type}").format(
                fields=", ".join(fields), type=type(data).__name__
            )
        )
    check_tensor("data.train_images", data.train_images, (4,), "N×1×28×28")
    check_tensor("data.test_images", data.test_images, (4,), "N×1×28×28")
    train_shape, test_shape = (tuple(x.shape[1:]) for x in (data.train_images, data.test_images))
    if train_shape != test_shape:
        raise ValueError(
            _(
                "data.train_images and data.test_images must hold images of the same shape, "
                "got {train} and {test}"
            ).format(train=train_shape, test=test_shape)
        )
    was_training = net.training
    net.eval()  # a probe in eval mode changes no batch-norm statistics
    try:
        with torch.inference_mode():
            probe = net(data.train_images[:1].to(next(net.parameters()).device))
    except RuntimeError as error:
        raise ValueError(
            _(
                "data.train_images has images of shape {shape}, which the network cannot take "
                "(LeNet expects 1×28×28): {error}"
            ).format(shape=train_shape, error=error)
        ) from error
    finally:
        net.train(was_training)
    if probe.dim() != 2:
        raise ValueError(
            _("net must output N×classes logits, got shape {shape}").format(
                shape=tuple(probe.shape)
            )
        )
    classes = probe.shape[1]
    check_labels("data.train_labels", data.train_labels, len(data.train_images), classes)
    check_labels("data.test_labels", data.test_labels, len(data.test_images), classes)


def _check_settings(epochs, batch_size, lr, seed, momentum):
    check_int("epochs", epochs, 1)
    check_int("batch_size", batch_size, 1)
    check_int("seed", seed, 0)
    _check_number("lr", lr)
    if not lr > 0:
        raise ValueError(_("lr must be > 0, got {value!r}").format(value=lr))
    if not isinstance(momentum, tuple) or not all(
        isinstance(m, Real) and not isinstance(m, bool) for m in momentum
    ):
        raise TypeError(
            _("momentum must be a (low, high) tuple of numbers, got {value!r}").format(
                value=momentum
            )
        )
    if len(momentum) != 2 or not 0 <= momentum[0] <= momentum[1] < 1:
        raise ValueError(
            _("momentum must be (low, high) with 0 ≤ low ≤ high < 1, got {value!r}").format(
                value=momentum
            )
        )


def _check_number(name, value):
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(
            _("{name} must be a number, got {type} {value!r}").format(
                name=name, type=type(value).__name__, value=value
            )
        )


def _check_recipe(weight_decay, label_smoothing, augment, channels_last):
    _check_number("weight_decay", weight_decay)
    _check_number("label_smoothing", label_smoothing)
    if not weight_decay >= 0:
        raise ValueError(_("weight_decay must be ≥ 0, got {value!r}").format(value=weight_decay))
    if not 0 <= label_smoothing < 1:
        raise ValueError(
            _("label_smoothing must be in [0, 1), got {value!r}").format(value=label_smoothing)
        )
    for name, value in (("augment", augment), ("channels_last", channels_last)):
        if not isinstance(value, bool):
            raise TypeError(
                _("{name} must be True or False, got {type} {value!r}").format(
                    name=name, type=type(value).__name__, value=value
                )
            )


def draw_shifts_and_flips(n, generator):
    """The random draws of ``shift_and_flip`` for n images: flips (n bool), row and column offsets.

    Drawn on the CPU from ``generator`` (checkpointed with the run); ``train`` draws a whole
    epoch's worth at once and moves them to the device once, so that no batch waits on the host.
    """
    flip = torch.rand(n, generator=generator) < 0.5
    dy, dx = torch.randint(0, 5, (2, n), generator=generator)
    return flip, dy, dx


def _shift_and_flip(images, flip, dy, dx):
    """Flip the images where ``flip`` is true, then shift each by (dy - 2, dx - 2) pixels."""
    n, (h, w) = len(images), images.shape[-2:]
    images = torch.where(flip[:, None, None, None], images.flip(-1), images)
    # pad with the value of a background pixel, then cut a h×w window at a random offset per image
    padded = F.pad(images, (2, 2, 2, 2), value=_BACKGROUND)
    rows = (dy[:, None] + torch.arange(h, device=images.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=images.device))[:, None, None, :]
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


def shift_and_flip(images, generator):
    """Augment an N×C×h×w batch on its device: random horizontal flips, shifts of up to 2 pixels."""
    draws = draw_shifts_and_flips(len(images), generator)
    return _shift_and_flip(images, *(d.to(images.device) for d in draws))


def evaluate(net, images, labels, batch_size=1000):
    """Mean cross-entropy and accuracy of ``net`` on standardised images already on its device.

    Sums stay on the device and are read once, at the end: no host synchronisation per batch.
    """
    net.eval()
    total_loss = torch.zeros((), device=images.device)
    correct = torch.zeros((), device=images.device, dtype=torch.int64)
    with torch.inference_mode():
        for i in range(0, len(images), batch_size):
            logits = net(images[i : i + batch_size])
            y = labels[i : i + batch_size]
            total_loss += F.cross_entropy(logits, y, reduction="sum")
            correct += (logits.argmax(dim=1) == y).sum()
    return total_loss.item() / len(images), correct.item() / len(images)


class NotebookLine:
    """A file for tqdm that shows the bar's latest state in one notebook output, updated in place.

    A saved notebook then holds the finished bar as plain text, readable without a kernel (a tqdm
    widget would be saved as its first state, "0%", since widget state is not saved).
    """

    encoding = "utf-8"  # tqdm then draws its bar with Unicode blocks, not "#"

    def __init__(self):
        from IPython.display import display

        self.handle = display({"text/plain": ""}, raw=True, display_id=True)

    def write(self, text):
        line = text.strip("\r\n")
        if line:
            self.handle.update({"text/plain": line}, raw=True)

    def flush(self):
        pass


def _in_notebook():
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


def progress_bar(total, initial, enabled):
    """One tqdm bar over all training steps: in place in a notebook, on stderr elsewhere."""
    from tqdm import tqdm

    file = NotebookLine() if enabled and _in_notebook() else None
    # In a notebook the saved line states the steps done out of all ("9380/9380 steps"), so a
    # reader without a kernel sees that training finished.
    # Translators: tqdm's format; keep each {field} as it is.
    line = _("{n_fmt}/{total_fmt} steps |{bar}| {elapsed}, {rate_fmt}{postfix}") if file else None
    return tqdm(
        total=total,
        initial=initial,
        disable=not enabled,
        file=file,
        # Translators: tqdm writes it right after the rate ("41.2step/s"): a word in another
        # script may start with a space.
        unit=_("step"),
        mininterval=0.5,
        ncols=100,
        bar_format=line,
    )


class LivePlot:
    """A loss/accuracy plot that redraws in place in a notebook after every epoch."""

    def __init__(self, epochs):
        from IPython.display import display

        self.epochs = epochs
        self.handle = display(display_id=True)

    def update(self, history):
        from IPython.display import Image

        self.handle.update(Image(figure_png(history_figure(history, self.epochs))))


def progress_postfix(epoch, epochs, test_acc):
    """The end of the progress line after each epoch: "epoch 3/10, test accuracy 0.871"."""
    return _("epoch {epoch}/{epochs}, test accuracy {accuracy:.3f}").format(
        epoch=epoch, epochs=epochs, accuracy=test_acc
    )


def one_cycle_sgd(net, lr, momentum, weight_decay, epochs, steps_per_epoch):
    """SGD with momentum and its one-cycle schedule (``OneCycleLR``): (optimizer, scheduler)."""
    low, high = momentum
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=high, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=lr,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        base_momentum=low,
        max_momentum=high,
    )
    return optimizer, scheduler


def epoch_batches(images, labels, batch_size, generator, augment):
    """One epoch's batches (x, y) of N×C×h×w images, cut from a permutation drawn from
    ``generator``; with ``augment``, flipped and shifted by draws made for the whole epoch at once
    and moved to the device once, so that no batch waits on the host."""
    order = torch.randperm(len(images), generator=generator).to(images.device)
    if augment:
        draws = [d.to(images.device) for d in draw_shifts_and_flips(len(images), generator)]
    for i in range(0, len(images), batch_size):
        index = order[i : i + batch_size]
        x, y = images[index], labels[index]
        if augment:
            x = _shift_and_flip(x, *(d[i : i + batch_size] for d in draws))
        yield x, y


def sgd_step(net, optimizer, scheduler, x, y, label_smoothing):
    """One optimisation step on the batch (x, y); returns its logits and its mean loss."""
    logits = net(x)
    loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    return logits, loss.detach()


def train_epoch(net, batches, optimizer, scheduler, label_smoothing, bar):
    """Train ``net`` on one epoch's ``batches``; returns (mean training loss, training accuracy).

    Loss and correct predictions are summed on the device and read once, at the end: no host
    synchronisation per batch.
    """
    net.train()
    loss_sum = correct = seen = 0  # the first batch makes the sums tensors on the device
    for x, y in batches:
        logits, loss = sgd_step(net, optimizer, scheduler, x, y, label_smoothing)
        loss_sum = loss_sum + loss * len(y)
        correct = correct + (logits.argmax(dim=1) == y).sum()
        seen += len(y)
        bar.update()
    return loss_sum.item() / seen, correct.item() / seen


def _tensors_on(device, memory_format, data):
    """``data``'s standardised images and its labels on ``device``: (train_x, train_y, test_x,
    test_y), moved once so that no batch waits on the host."""
    train_x, test_x = (
        standardize(x).to(device).contiguous(memory_format=memory_format)
        for x in (data.train_images, data.test_images)
    )
    return train_x, data.train_labels.to(device), test_x, data.test_labels.to(device)


def _run_state(config, history, net, optimizer, scheduler, generator):
    """Everything a checkpoint holds to resume the run where it stopped."""
    return dict(
        config=config,
        history=history,
        model=net.state_dict(),
        optimizer=optimizer.state_dict(),
        scheduler=scheduler.state_dict(),
        generator=generator.get_state(),
        torch_rng=torch.get_rng_state(),
    )


def train(
    net,
    data,
    epochs=10,
    batch_size=256,
    lr=1.0,
    momentum=(0.9, 0.9),
    weight_decay=0.0,
    label_smoothing=0.0,
    augment=False,
    channels_last=True,
    seed=0,
    device=None,
    checkpoint=None,
    progress=True,
    live_plot=False,
):
    """Train ``net`` with cross-entropy and SGD with momentum under a one-cycle schedule.

    The defaults are the lesson's recipe, ``LESSON_RECIPE``. The learning rate rises from lr/25 to
    its peak ``lr`` over the first 30 % of the steps, then falls to almost 0; the momentum moves
    the other way through ``momentum`` = (low, high): high at the start, low at the peak, high
    again at the end (``OneCycleLR``'s schedule).

    data: anything with train_images N×1×28×28 float in [0, 1], train_labels N int64,
    test_images, test_labels (e.g. ``load_fashion_mnist()``). The images are standardised and moved
    to ``device`` (None: CUDA, then MPS, then CPU) once; batches are cut by index from a seeded
    permutation. ``augment=True`` adds random flips and 2-pixel shifts. ``channels_last=True``
    holds the network's weights and the images in the channels-last memory format (NHWC), which
    trains LeNet faster on a CPU (benchmarks/README.md); the arithmetic is the same, the rounding
    may differ. ``checkpoint``: a file path; the run state is saved there after every epoch and,
    if the file exists, training resumes from it. ``progress`` shows one progress bar (in place in
    a notebook), ``live_plot`` redraws the loss/accuracy plot in a notebook after every epoch.

    Returns the history: a dict of per-epoch lists (epoch, train_loss, train_acc, test_loss,
    test_acc, seconds). The same seed, data and settings give the same weights and history on the
    same machine and thread count; other thread counts and chips round differently (``seed`` also
    re-seeds torch's global generator, for layers such as dropout that draw from it).
    """
    _check_net(net)
    _check_settings(epochs, batch_size, lr, seed, momentum)
    _check_recipe(weight_decay, label_smoothing, augment, channels_last)
    device = pick_device() if device is None else torch.device(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    net.to(device, memory_format=memory_format)
    _check_training_data(net, data)
    train_x, train_y, test_x, test_y = _tensors_on(device, memory_format, data)

    steps_per_epoch = -(-len(train_x) // batch_size)
    optimizer, scheduler = one_cycle_sgd(net, lr, momentum, weight_decay, epochs, steps_per_epoch)
    generator = torch.Generator().manual_seed(seed)  # shuffling and augmentation, checkpointed
    torch.manual_seed(seed)  # for layers that draw from the global generator
    settings = (epochs, batch_size, lr, momentum, weight_decay, label_smoothing, augment, seed)
    config = dict(zip(CONFIG_KEYS, settings), channels_last=channels_last)
    config.update(train_size=len(train_x), test_size=len(test_x))  # a resumed run must match
    history = {key: [] for key in HISTORY_KEYS}
    if checkpoint is not None and Path(checkpoint).exists():
        history = load_checkpoint(checkpoint, config, net, optimizer, scheduler, generator)

    live = LivePlot(epochs) if live_plot else None
    done = len(history["epoch"])
    with progress_bar(epochs * steps_per_epoch, done * steps_per_epoch, progress) as bar:
        for epoch in range(done + 1, epochs + 1):
            start = perf_counter()
            batches = epoch_batches(train_x, train_y, batch_size, generator, augment)
            train_loss, train_acc = train_epoch(
                net, batches, optimizer, scheduler, label_smoothing, bar
            )
            test_loss, test_acc = evaluate(net, test_x, test_y)
            values = (epoch, train_loss, train_acc, test_loss, test_acc, perf_counter() - start)
            for key, value in zip(HISTORY_KEYS, values):
                history[key].append(value)
            bar.set_postfix_str(progress_postfix(epoch, epochs, test_acc))
            if checkpoint is not None:
                state = _run_state(config, history, net, optimizer, scheduler, generator)
                save_checkpoint(checkpoint, state)
            if live is not None:
                live.update(history)
    net.eval()
    return history


# The lesson's recipe (notebook 05), written once: train's defaults. 10 epochs of batches of 256,
# peak learning rate 1.0, constant momentum 0.9, channels-last memory; the benchmarks import it.
LESSON_RECIPE = {
    name: parameter.default
    for name, parameter in inspect.signature(train).parameters.items()
    if name in RECIPE_KEYS
}
