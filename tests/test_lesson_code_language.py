"""The lesson code speaks the learner's language: errors, the progress line, plot text and
Fashion-MNIST's class names are Chinese after ``set_language("zh")`` and unchanged in English."""

import ast
import warnings
from pathlib import Path

import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from torch import nn

import helpers
from convlab import checkpoints, plotting, training
from convlab.data import check_labels

REPO = Path(__file__).resolve().parents[1]
TORCHVISION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
# d2l 中文版 3.5's names of the ten classes
D2L_CLASSES = ["T恤/上衣", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]
HISTORY = {
    "epoch": [1, 2],
    "train_loss": [0.9, 0.5],
    "test_loss": [0.8, 0.6],
    "train_acc": [0.7, 0.8],
    "test_acc": [0.72, 0.79],
    "seconds": [1.0, 1.0],
}


@pytest.fixture()
def chinese():
    """The series in Chinese for one test, English again afterwards."""
    helpers.set_language("zh")
    yield
    helpers.set_language("en")


def message_of(call, error):
    with pytest.raises(error) as raised:
        call()
    return str(raised.value)


# --------------------------------------------------------------------------------------------------
# Errors of the convention: Chinese sentences that still name the argument as it is in code
# --------------------------------------------------------------------------------------------------

CHINESE_ERRORS = [
    (
        lambda: helpers.corr2d([[1.0]], torch.ones(1, 1)),
        TypeError,
        "X 必须是形状为 h×w 的 torch.Tensor，实际得到 list",
    ),
    (
        lambda: helpers.corr2d_vectorized(torch.ones(2, 3, 4, 5), torch.ones(2, 2)),
        ValueError,
        "X 的形状必须是 h×w 或 n×h×w（2 或 3 维），实际形状为 (2, 3, 4, 5)",
    ),
    (
        lambda: helpers.corr2d(torch.ones(2, 2), torch.ones(3, 3)),
        ValueError,
        "卷积核 K (3, 3) 大于填充后的输入 (2, 2)（输入 (2, 2)，填充 (0, 0)）",
    ),
    (
        lambda: helpers.conv_output_shape(5, kernel_size=0),
        ValueError,
        "kernel_size 必须 ≥ 1，实际得到 0",
    ),
    (
        lambda: helpers.pool2d(torch.ones(4, 4), 2, mode="min"),
        ValueError,
        "mode 必须是 'max', 'avg' 之一，实际得到 'min'",
    ),
    (
        lambda: helpers.checkpoint_path(seed=-1),
        ValueError,
        "seed 必须是 ≥ 0 的整数，实际得到 -1",
    ),
    (
        lambda: training.train("LeNet", None),
        TypeError,
        "net 必须是 torch.nn.Module，实际得到 str",
    ),
    (
        lambda: training.train(nn.Linear(1, 1), None, lr=0),
        ValueError,
        "lr 必须 > 0，实际得到 0",
    ),
    (
        lambda: check_labels("data.test_labels", torch.zeros(3, dtype=torch.int64), 4, 10),
        ValueError,
        "data.test_labels 必须为每张图像提供一个标签：实际 4 张图像有 3 个标签",
    ),
    (
        lambda: plotting.show_heatmap(torch.ones(2, 2, 2)),
        ValueError,
        "matrix 必须是二维张量（h×w），实际形状为 (2, 2, 2)",
    ),
    (
        lambda: helpers.without().__enter__(),
        ValueError,
        "without 至少需要一个函数名，实际一个也没有",
    ),
]


@pytest.mark.parametrize("call, error, expected", CHINESE_ERRORS)
def test_errors_read_chinese_and_name_the_argument_in_code(chinese, call, error, expected):
    assert message_of(call, error) == expected


def test_a_refused_function_in_an_exercise_says_so_in_chinese(chinese):
    with helpers.without("helpers.corr2d"):
        message = message_of(lambda: helpers.corr2d(torch.ones(2, 2), torch.ones(1, 1)), Exception)
    assert message == "这道练习不能使用 helpers.corr2d：请自己动手实现"


def test_a_corrupt_checkpoint_is_explained_in_chinese(chinese, tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    message = message_of(
        lambda: checkpoints.load_checkpoint(path, {}, None, None, None, None), RuntimeError
    )
    assert message.startswith(f"检查点 {path} 已损坏或不是 train() 的检查点")


def test_errors_in_english_are_unchanged():
    assert message_of(lambda: helpers.corr2d([[1.0]], torch.ones(1, 1)), TypeError) == (
        "X must be a torch.Tensor of shape h×w, got list"
    )
    assert message_of(
        lambda: helpers.corr2d_vectorized(torch.ones(2, 3, 4, 5), torch.ones(2, 2)), ValueError
    ) == ("X must have shape h×w or n×h×w (2 or 3 dimensions), got shape (2, 3, 4, 5)")
    assert message_of(lambda: helpers.corr2d(torch.ones(2, 2), torch.ones(3, 3)), ValueError) == (
        "kernel K (3, 3) is larger than the padded input (2, 2) (input (2, 2), padding (0, 0))"
    )
    assert message_of(lambda: helpers.checkpoint_path(seed=-1), ValueError) == (
        "seed must be an int ≥ 0, got -1"
    )
    assert message_of(lambda: helpers.check_int("row", 7, 0, 5), ValueError) == (
        "row must be an int in 0..5, got 7"
    )


# --------------------------------------------------------------------------------------------------
# The progress line of training
# --------------------------------------------------------------------------------------------------


def tiny_data(n=64):
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(n, 1, 28, 28, generator=generator)
    labels = torch.randint(0, 10, (n,), generator=generator)
    return helpers.FashionMNIST(images, labels, images[:32], labels[:32], TORCHVISION_CLASSES)


class SavedLine:
    """Stands in for training.NotebookLine: keeps what tqdm writes, as a notebook output would."""

    encoding = "utf-8"
    lines = []

    def write(self, text):
        if text.strip("\r\n"):
            SavedLine.lines.append(text.strip("\r\n"))

    def flush(self):
        pass


def train_one_tiny_epoch():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    training.train(net, tiny_data(), epochs=1, batch_size=32, device="cpu", progress=True)


def last_progress_line(monkeypatch):
    """The progress line a notebook shows after one tiny epoch of training."""
    monkeypatch.setattr(training, "_in_notebook", lambda: True)
    monkeypatch.setattr(training, "NotebookLine", SavedLine)
    SavedLine.lines = []
    train_one_tiny_epoch()
    return SavedLine.lines[-1]


def test_the_progress_line_in_a_notebook_is_chinese(chinese, monkeypatch):
    last = last_progress_line(monkeypatch)
    assert last.startswith("2/2 步 |"), last
    assert " 步/s" in last and "第 1/1 轮，测试准确率 0." in last, last


def test_the_progress_line_in_english_is_unchanged(monkeypatch):
    last = last_progress_line(monkeypatch)
    assert last.startswith("2/2 steps |"), last
    assert "step/s" in last and "epoch 1/1, test accuracy 0." in last, last


# --------------------------------------------------------------------------------------------------
# Plot text, drawn with the CJK font (a missing glyph is an error)
# --------------------------------------------------------------------------------------------------


def drawn(fig):
    """Draw ``fig`` with missing-glyph warnings as errors; return its texts."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")
        FigureCanvasAgg(fig).draw()
    return fig


def axis_texts(ax):
    legend = ax.get_legend()
    legend_texts = [text.get_text() for text in legend.get_texts()] if legend else []
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), legend_texts


def test_plot_history_labels_its_axes_and_lines_in_chinese(chinese):
    loss_ax, acc_ax = drawn(helpers.plot_history(HISTORY)).axes
    assert axis_texts(loss_ax) == ("", "轮", "交叉熵", ["训练损失", "测试损失"])
    assert axis_texts(acc_ax) == ("", "轮", "准确率", ["训练准确率", "测试准确率"])


def test_plot_history_in_english_is_unchanged():
    loss_ax, acc_ax = helpers.plot_history(HISTORY).axes
    assert axis_texts(loss_ax) == ("", "epoch", "cross-entropy", ["train loss", "test loss"])
    assert axis_texts(acc_ax) == ("", "epoch", "accuracy", ["train accuracy", "test accuracy"])


def test_draw_architecture_titles_in_chinese_and_keeps_the_layer_names(chinese):
    fig = drawn(helpers.draw_architecture(helpers.lenet("notes")))
    ax = fig.axes[0]
    assert ax.get_title() == "LeNet（笔记中的网络）：层 → 输出形状"
    texts = [text.get_text() for text in ax.texts]
    assert texts[0] == "输入" and "Conv2d" in texts and "AvgPool2d" in texts


def test_time_to_accuracy_plot_is_chinese(chinese):
    results = {
        "device": "CPU",
        "threads": 2,
        "runs": {
            "notes": {"label": "the lesson's recipe", "elapsed": [1, 2], "test_acc": [0.8, 0.9]}
        },
        "targets": [["d2l", 0.85]],
    }
    ax = drawn(helpers.plot_time_to_accuracy(results)).axes[0]
    title, xlabel, ylabel, legend = axis_texts(ax)
    assert (title, xlabel, ylabel) == (
        "笔记中的 LeNet 在 Fashion-MNIST 上，CPU，2 个线程",
        "实际用时（秒）",
        "测试准确率",
    )
    assert legend == ["本课的训练方案", "d2l 训练循环的最终准确率"]


def test_the_plots_run_labels_are_the_benchmarks():
    """plotting marks the labels benchmarks/time_to_accuracy.py writes: the two stay in step."""
    tree = ast.parse((REPO / "benchmarks" / "time_to_accuracy.py").read_text(encoding="utf-8"))
    runs = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "RUNS"
    )
    assert tuple(ast.literal_eval(runs).values()) == plotting.BENCHMARK_RUN_LABELS


def test_show_images_draws_chinese_class_names(chinese):
    labels = torch.arange(10)
    titles = [helpers.class_name(label) for label in labels]
    fig = drawn(helpers.show_images(torch.zeros(10, 28, 28), titles))
    assert [ax.get_title() for ax in fig.axes[:10]] == D2L_CLASSES


# --------------------------------------------------------------------------------------------------
# Fashion-MNIST's class names
# --------------------------------------------------------------------------------------------------


def test_class_names_are_torchvisions():
    from torchvision.datasets import FashionMNIST

    assert list(helpers.CLASS_NAMES) == FashionMNIST.classes == TORCHVISION_CLASSES
    assert helpers.class_names() == TORCHVISION_CLASSES


def test_class_names_in_chinese_are_d2ls(chinese):
    assert helpers.class_names() == D2L_CLASSES
    assert helpers.class_name(0) == "T恤/上衣"
    assert helpers.class_name(torch.tensor(9)) == "短靴"  # a label as data.test_labels holds it
    assert helpers.class_name("Sneaker") == "运动鞋"


@pytest.mark.parametrize(
    "label, error, message",
    [
        (10, ValueError, "label must be a class index in 0..9, got 10"),
        ("Hat", ValueError, "label must be a class index 0..9 or one of 'T-shirt/top'"),
        (1.0, TypeError, "label must be a class index (an int 0..9) or a class name, got float"),
        (True, TypeError, "got bool"),
    ],
)
def test_a_bad_class_label_is_an_error(label, error, message):
    assert message in message_of(lambda: helpers.class_name(label), error)
