"""Tests of helpers.lenet and helpers.train on small slices of the real Fashion-MNIST."""

import importlib.util
import json

import pytest
import torch
from torch import nn

import helpers
from convlab import training
from support.lessons import first_examples


def small(data, n_train=512, n_test=256):
    """The first n_train training and n_test test examples of ``data``."""
    return first_examples(data, n_train, n_test)


def count_training_batches(net):
    """Attach a hook that counts forward passes in training mode; returns a one-element counter."""
    counter = [0]
    net.register_forward_pre_hook(
        lambda module, args: counter.__setitem__(0, counter[0] + module.training)
    )
    return counter


def layer_parameter_count(layer):
    """Parameters of one conv/linear/batch-norm layer from its sizes, not from its tensors."""
    if isinstance(layer, nn.Conv2d):
        k = layer.kernel_size[0] * layer.kernel_size[1]
        return layer.out_channels * (layer.in_channels * k + (layer.bias is not None))
    if isinstance(layer, nn.Linear):
        return layer.out_features * (layer.in_features + (layer.bias is not None))
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return 2 * layer.num_features
    return 0


@pytest.mark.parametrize("variant", helpers.LENET_VARIANTS)
def test_every_variant_maps_images_to_ten_logits(variant):
    net = helpers.lenet(variant)
    assert net(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    assert sum(p.numel() for p in net.parameters()) == sum(map(layer_parameter_count, net))


def test_seed_network_is_the_source_definition():
    net = helpers.lenet("notes")
    expected = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5, padding=1),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, padding=1),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 120),
        nn.Sigmoid(),
        nn.Linear(120, 10),
    )
    assert repr(net) == repr(expected)
    X, shapes = torch.rand(1, 1, 28, 28), []
    for layer in net:
        X = layer(X)
        shapes.append(tuple(X.shape[1:]))
    shown = " ".join("×".join(map(str, shape)) for shape in shapes)
    assert shown == "6×28×28 6×28×28 6×14×14 16×12×12 16×12×12 16×7×7 784 120 120 10"
    assert sum(p.numel() for p in net.parameters()) == 97_982


def test_lenet5_is_the_classic_layout():
    widths = [
        layer.out_features for layer in helpers.lenet("lenet5") if isinstance(layer, nn.Linear)
    ]
    assert widths == [120, 84, 10]


def test_modern_variant_uses_relu_max_pooling_batch_norm_and_stays_small():
    net = helpers.lenet("modern")
    kinds = {type(layer) for layer in net}
    assert {nn.ReLU, nn.MaxPool2d, nn.BatchNorm2d} <= kinds and nn.Sigmoid not in kinds
    assert sum(p.numel() for p in net.parameters()) < 100_000


def test_weights_are_reproducible_from_the_global_seed():
    torch.manual_seed(3)
    a = helpers.lenet("notes")
    torch.manual_seed(3)
    b = helpers.lenet("notes")
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_unknown_variant_names_the_valid_ones():
    with pytest.raises(ValueError, match="'notes', 'lenet5', 'modern'.*'unknown'"):
        helpers.lenet("unknown")


def test_pick_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert helpers.pick_device().type == "cpu"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert helpers.pick_device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert helpers.pick_device().type == "cuda"


def test_same_seed_same_run_other_seed_other_run(fashion):
    data = small(fashion)
    runs = []
    for seed in (0, 0, 1):
        torch.manual_seed(0)
        net = helpers.lenet("notes")
        history = helpers.train(net, data, epochs=2, seed=seed, progress=False, device="cpu")
        runs.append((net.state_dict(), {k: v for k, v in history.items() if k != "seconds"}))
    (weights_a, history_a), (weights_b, history_b), (weights_c, _) = runs
    assert history_a == history_b
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    assert not all(torch.equal(weights_a[k], weights_c[k]) for k in weights_a)


def test_history_has_one_entry_per_epoch_and_the_test_accuracy_is_the_predictions(fashion):
    data = small(fashion, n_train=2000, n_test=500)
    torch.manual_seed(0)
    net = helpers.lenet("modern")  # learns within a few dozen steps, unlike the sigmoid network
    history = helpers.train(net, data, epochs=3, progress=False)
    assert set(history) == {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"}
    assert history["epoch"] == [1, 2, 3] and all(len(v) == 3 for v in history.values())
    accuracy = (helpers.predict(net, data.test_images) == data.test_labels).float().mean().item()
    assert history["test_acc"][-1] == pytest.approx(accuracy)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert accuracy > 0.5, (
        f"3 epochs on 2000 images should beat chance (0.1) by far, got {accuracy}"
    )


def test_augmentation_flips_and_shifts_each_image_by_at_most_two_pixels(fashion):
    images = helpers.standardize(fashion.train_images[:16])
    augmented = training.shift_and_flip(images, torch.Generator().manual_seed(0))
    background = helpers.standardize(torch.tensor(0.0)).item()
    padded = nn.functional.pad(images, (2, 2, 2, 2), value=background)
    for original, result in zip(padded, augmented):
        candidates = [
            candidate[:, dy : dy + 28, dx : dx + 28]
            for candidate in (original, original.flip(-1))
            for dy in range(5)
            for dx in range(5)
        ]
        assert any(torch.equal(result, candidate) for candidate in candidates)
    assert not torch.equal(augmented, images)


def test_train_with_augmentation_and_label_smoothing_runs_and_differs(fashion):
    data = small(fashion)
    results = []
    for augment in (False, True):
        torch.manual_seed(0)
        net = helpers.lenet("modern")
        results.append(
            helpers.train(
                net, data, epochs=1, augment=augment, label_smoothing=0.1, progress=False
            )["train_loss"]
        )
    assert results[0] != results[1]


def test_one_epoch_of_augmentation_draws_matches_per_batch_augmentation(fashion):
    images = helpers.standardize(fashion.train_images[:64])
    generator = torch.Generator().manual_seed(3)
    draws = training.draw_shifts_and_flips(len(images), generator)
    whole = training._shift_and_flip(images, *draws)
    batch = training._shift_and_flip(images[16:48], *(d[16:48] for d in draws))
    assert torch.equal(whole[16:48], batch)
    assert torch.equal(whole, training.shift_and_flip(images, torch.Generator().manual_seed(3)))


@pytest.mark.parametrize("variant", ["notes", "modern"])
def test_channels_last_trains_the_same_network_in_another_layout(fashion, variant, one_thread):
    data = small(fashion)
    runs = []
    for channels_last in (False, True):
        torch.manual_seed(0)
        net = helpers.lenet(variant)
        history = helpers.train(
            net, data, epochs=2, channels_last=channels_last, progress=False, device="cpu"
        )
        runs.append((net, history))
    (net_a, history_a), (net_b, history_b) = runs
    conv = [m for m in net_b if isinstance(m, nn.Conv2d)][1].weight  # 16×6×5×5
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    # the same arithmetic in another order: equal up to rounding, not bit for bit (with
    # batch-norm and a high learning rate, rounding differences grow quickly: first epoch only)
    assert history_b["train_loss"][0] == pytest.approx(history_a["train_loss"][0], rel=1e-2)
    if variant == "notes":
        for a, b in zip(net_a.parameters(), net_b.parameters()):
            assert torch.allclose(a, b, atol=1e-3)


def replace(data, **fields):
    return data._replace(**fields)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            lambda d: replace(d, train_images=d.train_images[:, 0]),
            ValueError,
            r"train_images must have shape N×1×28×28",
        ),
        (
            lambda d: replace(
                d, train_images=torch.rand(512, 1, 32, 32), test_images=torch.rand(256, 1, 32, 32)
            ),
            ValueError,
            r"shape \(1, 32, 32\), which the network cannot take",
        ),
        (lambda d: replace(d, test_images=torch.rand(256, 3, 28, 28)), ValueError, r"same shape"),
        (
            lambda d: replace(d, train_labels=d.train_labels + 1),
            ValueError,
            r"train_labels must lie in 0\.\.9.*to 10",
        ),
        (
            lambda d: replace(d, test_labels=d.test_labels - 1),
            ValueError,
            r"test_labels must lie in 0\.\.9.*from -1",
        ),
        (
            lambda d: replace(d, train_labels=d.train_labels[:100]),
            ValueError,
            r"100 labels for 512 images",
        ),
        (
            lambda d: replace(d, test_labels=d.test_labels.float()),
            TypeError,
            r"test_labels must be a 1-D int64",
        ),
        (
            lambda d: replace(d, train_images=d.train_images.to(torch.uint8)),
            TypeError,
            r"floating-point",
        ),
        (lambda d: (d.train_images, d.train_labels), TypeError, r"data must have the fields"),
    ],
)
def test_bad_data_is_refused_before_any_epoch(fashion, change, error, message):
    net = helpers.lenet("notes")
    batches = count_training_batches(net)
    with pytest.raises(error, match=message):
        helpers.train(net, change(small(fashion)), epochs=1, progress=False)
    assert batches[0] == 0


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        (dict(epochs=0), ValueError, "epochs must be an int ≥ 1, got 0"),
        (dict(batch_size=2.5), TypeError, "batch_size must be an int, got float 2.5"),
        (dict(seed=-1), ValueError, "seed must be an int ≥ 0, got -1"),
        (dict(lr=-0.1), ValueError, "lr must be > 0, got -0.1"),
        (dict(lr="0.1"), TypeError, "lr must be a number, got str"),
        (dict(momentum=0.9), TypeError, r"momentum must be a \(low, high\) tuple"),
        (dict(momentum=(0.95, 0.85)), ValueError, r"0 ≤ low ≤ high < 1, got \(0.95, 0.85\)"),
        (dict(weight_decay=-1e-4), ValueError, r"weight_decay must be ≥ 0, got -0.0001"),
        (dict(weight_decay="0"), TypeError, r"weight_decay must be a number, got str '0'"),
        (dict(label_smoothing=1.0), ValueError, r"label_smoothing must be in \[0, 1\), got 1.0"),
        (dict(augment=1), TypeError, r"augment must be True or False, got int 1"),
        (dict(channels_last="yes"), TypeError, r"channels_last must be True or False, got str"),
    ],
)
def test_bad_settings_are_refused(fashion, arguments, error, message):
    with pytest.raises(error, match=message):
        helpers.train(helpers.lenet("notes"), small(fashion), progress=False, **arguments)


def test_train_refuses_something_that_is_not_a_network(fashion):
    with pytest.raises(TypeError, match="net must be a torch.nn.Module, got function"):
        helpers.train(lambda x: x, small(fashion), progress=False)


def test_plot_history_draws_the_history(fashion):
    history = dict(
        epoch=[1, 2],
        train_loss=[1.0, 0.5],
        train_acc=[0.6, 0.8],
        test_loss=[1.1, 0.7],
        test_acc=[0.55, 0.75],
        seconds=[1.0, 1.0],
    )
    fig = helpers.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert [list(line.get_ydata()) for line in loss_ax.lines] == [
        history["train_loss"],
        history["test_loss"],
    ]
    assert [list(line.get_ydata()) for line in acc_ax.lines] == [
        history["train_acc"],
        history["test_acc"],
    ]


def test_live_plot_redraws_after_every_epoch(fashion, monkeypatch):
    drawn = []
    monkeypatch.setattr(training.LivePlot, "__init__", lambda self, epochs: None)
    monkeypatch.setattr(
        training.LivePlot, "update", lambda self, history: drawn.append(list(history["epoch"]))
    )
    helpers.train(
        helpers.lenet("notes"), small(fashion, 256, 128), epochs=2, progress=False, live_plot=True
    )
    assert drawn == [[1], [1, 2]]


def test_the_lessons_stored_seed_runs_used_trains_defaults():
    """Notebook 05 trains with train's defaults and reads the benchmarks' seed runs beside its own:
    those runs must have used the same recipe."""
    results = helpers.REPO_ROOT / "notebooks" / "results"
    recipe = json.loads(json.dumps(helpers.LESSON_RECIPE))  # as stored: tuples become lists
    table = json.loads((results / "results.json").read_text(encoding="utf-8"))
    race = json.loads((results / "time_to_accuracy.json").read_text(encoding="utf-8"))
    assert table["results"]["notes"]["recipe"] == recipe
    assert race["runs"]["notes"]["recipe"] == recipe
    assert recipe == dict(epochs=10, batch_size=256, lr=1.0, momentum=[0.9, 0.9],
                          weight_decay=0.0, label_smoothing=0.0, augment=False,
                          channels_last=True)  # fmt: skip


def test_the_lessons_loop_returns_the_epochs_mean_loss_and_the_accuracy_counts_right(fashion):
    """With learning rate 0 the weights never move, so the epoch's loss is the data's mean loss,
    whatever the last, shorter batch; accuracy batches the test set without losing its tail."""
    torch.manual_seed(0)
    net = helpers.lenet("notes")
    images, labels = fashion.train_images[:1000], fashion.train_labels[:1000]
    optimizer = torch.optim.SGD(net.parameters(), lr=0.0)
    loss = helpers.train_epoch(net, images, labels, optimizer, batch_size=300)
    with torch.no_grad():
        expected = nn.functional.cross_entropy(net(images), labels).item()
    assert loss == pytest.approx(expected, rel=1e-5)
    with torch.no_grad():
        correct = (net(images).argmax(dim=1) == labels).sum().item()
    assert 0 < correct < 1000  # an untrained net that calls everything one class would prove little
    assert helpers.accuracy(net, images, labels, batch_size=300) == correct / 1000


def test_the_lessons_loop_learns(fashion):
    torch.manual_seed(0)
    net = helpers.lenet("modern")  # learns within one epoch, unlike the sigmoid nets
    images, labels = helpers.standardize(fashion.train_images[:4096]), fashion.train_labels[:4096]
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = [helpers.train_epoch(net, images, labels, optimizer, batch_size=64) for _ in range(3)]
    assert losses[2] < losses[1] < losses[0]
    assert helpers.accuracy(net, images, labels) > 0.6


def one_change_benchmark():
    """benchmarks/one_change_at_a_time.py as a module (its steps and initialisations)."""
    path = helpers.REPO_ROOT / "benchmarks" / "one_change_at_a_time.py"
    spec = importlib.util.spec_from_file_location("one_change_at_a_time", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_d2l_baseline_starts_as_d2l_does_xavier_weights_over_default_biases():
    benchmark = one_change_benchmark()
    torch.manual_seed(0)
    net = benchmark.initialise(helpers.lenet("lenet5"), "d2l")
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
            xavier_bound = (6 / (fan_in + fan_out)) ** 0.5
            assert layer.weight.abs().max() <= xavier_bound
            assert layer.weight.abs().max() > 0.9 * xavier_bound  # drawn up to the bound
            assert layer.bias.abs().max() <= 1 / fan_in**0.5  # PyTorch's default, not zeros
            assert layer.bias.abs().min() > 0


def test_the_one_change_lesson_data_holds_every_step_over_three_seeds():
    benchmark = one_change_benchmark()
    path = helpers.REPO_ROOT / "notebooks" / "results" / "one_change.json"
    steps = json.loads(path.read_text(encoding="utf-8"))["steps"]
    assert list(steps) == list(benchmark.STEPS)
    for name, step in steps.items():
        change, settings = benchmark.STEPS[name]
        assert (step["change"], step["settings"]) == (change, settings), name
        assert sorted(step["runs"]) == ["0", "1", "2"], name
        for run in step["runs"].values():
            assert len(run["test_acc"]) == len(run["seconds"]) == step["epochs"] == 10, name
    lesson = steps["momentum"]["settings"]  # the lesson's recipe, as helpers.train runs it
    recipe = helpers.LESSON_RECIPE
    assert (lesson["lr"], lesson["batch_size"]) == (recipe["lr"], recipe["batch_size"])
    assert (lesson["momentum"], lesson["momentum"]) == recipe["momentum"]
    assert lesson["standardise"] and lesson["one_cycle"] and lesson["init"] == "xavier"
