"""How ``classroom similarity`` does on a class written for it: copies caught, honest pairs flagged.

    .venv/bin/python benchmarks/similarity_false_positives.py [--threshold 0.8]

The class: five students (anna, ben, chen, dana, emil) answer every exercise of lessons 01 and
02 independently, each in their own way, as different students would (some close to the
lesson's own code, some not); four copiers each hand in one or two of those answers disguised
(names changed, comments added or changed, lines re-wrapped, independent statements reordered)
and leave their other exercises unanswered; "blank" hands in the untouched stubs. The notebooks
are the released student versions with these answers typed into their solution cells, written
by ``write_class`` (tests/test_similarity.py grades the same class).

It prints every pair's score and matching tokens, then how many copied pairs are flagged and how
many independent pairs (answers of different authors) are flagged by mistake.
"""

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path
from time import perf_counter

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classroom.copying import MIN_MATCHED, THRESHOLD, class_answers  # noqa: E402
from classroom.release import CODE_STUB, grade_id, nbgrader_flag, student_version  # noqa: E402
from classroom.similarity import MIN_RUN, compare, exercises_of, token_count  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LESSONS = ("01_cross_correlation", "02_edge_detection")

# HONEST[lesson][solution grade_id][student]: the code a student typed in place of the stub.
HONEST = {
    "01_cross_correlation": {
        "ex1": {
            "anna": """
                def pair(v):
                    return (v, v) if isinstance(v, int) else tuple(v)

                pad_h, pad_w = pair(padding)
                step_h, step_w = pair(stride)
                padded = torch.zeros(X.shape[0] + 2 * pad_h, X.shape[1] + 2 * pad_w)
                padded[pad_h : pad_h + X.shape[0], pad_w : pad_w + X.shape[1]] = X
                kh, kw = K.shape
                rows = (padded.shape[0] - kh) // step_h + 1
                cols = (padded.shape[1] - kw) // step_w + 1
                out = torch.zeros(rows, cols)
                for r in range(rows):
                    for c in range(cols):
                        top, left = r * step_h, c * step_w
                        out[r, c] = (padded[top : top + kh, left : left + kw] * K).sum()
                return out
            """,
            "ben": """
                if isinstance(padding, int):
                    padding = (padding, padding)
                if isinstance(stride, int):
                    stride = (stride, stride)
                Xp = F.pad(X, (padding[1], padding[1], padding[0], padding[0]))
                h, w = K.shape
                n_rows = (Xp.shape[0] - h) // stride[0] + 1
                n_cols = (Xp.shape[1] - w) // stride[1] + 1
                result = [
                    [
                        (Xp[i * stride[0] : i * stride[0] + h, j * stride[1] : j * stride[1] + w]
                         * K).sum()
                        for j in range(n_cols)
                    ]
                    for i in range(n_rows)
                ]
                return torch.stack([torch.stack(row) for row in result])
            """,
            "chen": """
                # stride s = keep every s-th output of the stride-1 cross-correlation
                p = padding if isinstance(padding, tuple) else (padding, padding)
                s = stride if isinstance(stride, tuple) else (stride, stride)
                padded = F.pad(X, [p[1], p[1], p[0], p[0]])
                full = helpers.corr2d(padded, K)
                return full[:: s[0], :: s[1]]
            """,
            "dana": """
                ph, pw = (padding,) * 2 if isinstance(padding, int) else padding
                sh, sw = (stride,) * 2 if isinstance(stride, int) else stride
                Xp = F.pad(X, (pw, pw, ph, ph))
                kh, kw = K.shape
                windows = Xp.unfold(0, kh, sh).unfold(1, kw, sw)  # out_h × out_w × kh × kw
                return (windows * K).sum(dim=(-2, -1))
            """,
            "emil": """
                if type(padding) is int:
                    padding = (padding, padding)
                if type(stride) is int:
                    stride = (stride, stride)
                X = F.pad(X, (padding[1], padding[1], padding[0], padding[0]))
                kh, kw = K.shape
                Y = torch.zeros((X.shape[0] - kh) // stride[0] + 1,
                                (X.shape[1] - kw) // stride[1] + 1)
                for i in range(Y.shape[0]):
                    for j in range(Y.shape[1]):
                        r, c = i * stride[0], j * stride[1]
                        Y[i, j] = (X[r : r + kh, c : c + kw] * K).sum()
                return Y
            """,
        },
        "ex2": {
            "anna": """
                kh, kw = K.shape
                out_h = X.shape[0] - kh + 1
                out_w = X.shape[1] - kw + 1
                rows = []
                for i in range(out_h):
                    for j in range(out_w):
                        rows.append(X[i : i + kh, j : j + kw].flatten())
                matrix = torch.stack(rows)
                return (matrix @ K.flatten()).view(out_h, out_w)
            """,
            "ben": """
                h, w = X.shape
                a, b = K.shape
                cols = torch.stack(
                    [X[r : r + a, c : c + b].reshape(a * b)
                     for r in range(h - a + 1) for c in range(w - b + 1)],
                    dim=1,
                )
                return (K.reshape(1, a * b) @ cols).reshape(h - a + 1, w - b + 1)
            """,
            "chen": """
                kh, kw = K.shape
                patches = X.unfold(0, kh, 1).unfold(1, kw, 1)  # oh × ow × kh × kw, no copy
                oh, ow = patches.shape[:2]
                return (patches.reshape(oh * ow, kh * kw) @ K.reshape(-1)).reshape(oh, ow)
            """,
            "dana": """
                n_rows, n_cols = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
                columns = torch.empty(K.numel(), n_rows * n_cols)
                index = 0
                for i in range(n_rows):
                    for j in range(n_cols):
                        columns[:, index] = X[i : i + K.shape[0], j : j + K.shape[1]].reshape(-1)
                        index += 1
                return (K.reshape(-1) @ columns).reshape(n_rows, n_cols)
            """,
            "emil": """
                kh, kw = K.shape
                oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
                im2col = torch.stack(
                    [X[i : i + kh, j : j + kw].reshape(-1) for i in range(oh) for j in range(ow)]
                )
                out = im2col @ K.reshape(-1)
                return out.reshape(oh, ow)
            """,
        },
    },
    "02_edge_detection": {
        "ex1": {
            "anna": "return torch.tensor([[2.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -2.0]])",
            "ben": """
                K = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -1.0]])
                return K
            """,
            "chen": """
                kernel = torch.zeros(3, 3)
                for a in range(3):
                    for b in range(3):
                        kernel[a, b] = 2.0 - a - b  # constant along each / line
                return kernel
            """,
            "dana": "return torch.tensor([[-2.0, -1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 2.0]])",
            "emil": "return torch.tensor([[2., 1., 0.], [1., 0., -1.], [0., -1., -2.]])",
        },
        "ex2": {
            "anna": "return torch.tensor([[1.0, -2.0, 1.0]])",
            "ben": "return torch.tensor([1.0, -2.0, 1.0]).reshape(1, 3)",
            "chen": "return torch.tensor([[1.0, -2.0, 1.0]], dtype=torch.float32)",
            "dana": """
                kernel = torch.ones(1, 3)
                kernel[0, 1] = -2.0
                return kernel
            """,
            "emil": "return torch.tensor([[1., -2., 1.]])",
        },
        "ex3": {
            "anna": """
                kernel = torch.zeros(*kernel_size, requires_grad=True)
                optimizer = torch.optim.SGD([kernel], lr=lr)
                for step in range(steps):
                    optimizer.zero_grad()
                    prediction = helpers.corr2d_vectorized(X, kernel)
                    loss = ((prediction - Y) ** 2).mean()
                    loss.backward()
                    optimizer.step()
                return kernel.detach()
            """,
            "ben": """
                kh, kw = kernel_size
                W = torch.randn(kh, kw) * 0.01
                W.requires_grad_(True)
                for i in range(steps):
                    err = helpers.corr2d_vectorized(X, W) - Y
                    loss = (err * err).mean()
                    if W.grad is not None:
                        W.grad.zero_()
                    loss.backward()
                    W.data -= lr * W.grad
                return W.detach().clone()
            """,
            "chen": """
                K = torch.zeros(kernel_size).requires_grad_()
                for _ in range(steps):
                    Y_hat = helpers.corr2d_vectorized(X, K)
                    loss = F.mse_loss(Y_hat, Y)
                    (grad,) = torch.autograd.grad(loss, K)
                    with torch.no_grad():
                        K -= lr * grad
                return K.detach()
            """,
            "dana": """
                K = torch.zeros(kernel_size, requires_grad=True)
                for step in range(steps):
                    loss = ((helpers.corr2d_vectorized(X, K) - Y) ** 2).mean()
                    K.grad = None
                    loss.backward()
                    with torch.no_grad():
                        K.sub_(lr * K.grad)
                return K.detach()
            """,
            "emil": """
                K = torch.zeros(kernel_size, requires_grad=True)
                for _ in range(steps):
                    out = helpers.corr2d_vectorized(X, K)
                    loss = torch.mean((out - Y) ** 2)
                    loss.backward()
                    with torch.no_grad():
                        K -= lr * K.grad
                    K.grad.zero_()
                return K.detach()
            """,
        },
    },
}

# COPIES[lesson][solution grade_id][copier] = (the student copied, the disguised copy).
COPIES = {
    "01_cross_correlation": {
        "ex1": {
            # anna's, names changed, comments added, the two pair() calls and kh, kw moved
            "fred": (
                "anna",
                """
                kernel_h, kernel_w = K.shape  # kernel size

                def as_pair(value):
                    # an int means the same for height and width
                    return (value, value) if isinstance(value, int) else tuple(value)

                sy, sx = as_pair(stride)
                py, px = as_pair(padding)
                Xpad = torch.zeros(X.shape[0] + 2 * py, X.shape[1] + 2 * px)
                Xpad[py : py + X.shape[0], px : px + X.shape[1]] = X
                n_out_rows = (Xpad.shape[0] - kernel_h) // sy + 1
                n_out_cols = (Xpad.shape[1] - kernel_w) // sx + 1
                result = torch.zeros(n_out_rows, n_out_cols)
                for a in range(n_out_rows):
                    for b in range(n_out_cols):
                        y0, x0 = a * sy, b * sx
                        window = Xpad[y0 : y0 + kernel_h, x0 : x0 + kernel_w]
                        result[a, b] = (window * K).sum()
                return result
            """,
            ),
            # emil's, renamed and re-wrapped, the two isinstance blocks swapped
            "gina": (
                "emil",
                """
                if type(stride) is int:
                    stride = (stride, stride)
                if type(padding) is int:
                    padding = (padding, padding)
                Xp = F.pad(X, (padding[1], padding[1],
                               padding[0], padding[0]))
                kH, kW = K.shape
                out = torch.zeros(
                    (Xp.shape[0] - kH) // stride[0] + 1,
                    (Xp.shape[1] - kW) // stride[1] + 1,
                )
                for row in range(out.shape[0]):
                    for col in range(out.shape[1]):
                        top, left = row * stride[0], col * stride[1]  # window corner
                        out[row, col] = (Xp[top : top + kH, left : left + kW] * K).sum()
                return out
            """,
            ),
        },
        "ex2": {
            # anna's, renamed, the two size lines swapped, a comment
            "fred": (
                "anna",
                """
                height, width = K.shape
                cols_out = X.shape[1] - width + 1
                rows_out = X.shape[0] - height + 1
                flat_windows = []  # one row per window
                for r in range(rows_out):
                    for c in range(cols_out):
                        flat_windows.append(X[r : r + height, c : c + width].flatten())
                M = torch.stack(flat_windows)
                return (M @ K.flatten()).view(rows_out, cols_out)
            """,
            ),
            # dana's, renamed, comments and blank lines
            "hugo": (
                "dana",
                """
                # number of windows down and across
                H, W = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1

                cols = torch.empty(K.numel(), H * W)  # one column per window
                k = 0
                for y in range(H):
                    for x in range(W):
                        cols[:, k] = X[y : y + K.shape[0], x : x + K.shape[1]].reshape(-1)
                        k += 1

                return (K.reshape(-1) @ cols).reshape(H, W)
            """,
            ),
        },
    },
    "02_edge_detection": {
        "ex1": {
            "gina": (
                "chen",
                """
                k = torch.zeros(3, 3)
                for i in range(3):
                    for j in range(3):
                        k[i, j] = 2.0 - i - j
                return k
            """,
            ),
        },
        "ex2": {
            "hugo": (
                "dana",
                """
                K = torch.ones(1, 3)  # 1, -2, 1
                K[0, 1] = -2.0
                return K
            """,
            ),
        },
        "ex3": {
            # ben's, renamed, the zero_ block moved after the update, comments
            "ivan": (
                "ben",
                """
                rows, cols = kernel_size
                weight = torch.randn(rows, cols) * 0.01
                weight.requires_grad_(True)
                for step in range(steps):
                    diff = helpers.corr2d_vectorized(X, weight) - Y  # residual
                    mse = (diff * diff).mean()
                    mse.backward()
                    weight.data -= lr * weight.grad  # gradient step
                    if weight.grad is not None:
                        weight.grad.zero_()
                return weight.detach().clone()
            """,
            ),
            # anna's, renamed, the zero_grad moved after the step
            "fred": (
                "anna",
                """
                K = torch.zeros(*kernel_size, requires_grad=True)
                opt = torch.optim.SGD([K], lr=lr)
                for it in range(steps):
                    pred = helpers.corr2d_vectorized(X, K)
                    loss = ((pred - Y) ** 2).mean()
                    loss.backward()
                    opt.step()
                    opt.zero_grad()
                return K.detach()
            """,
            ),
            # chen's, renamed, padded with code of the copier's own: a check and a loss history
            "hugo": (
                "chen",
                """
                if X.dim() != 3 or Y.dim() != 3:
                    raise ValueError(f"X, Y must be n×h×w, got {tuple(X.shape)}, {tuple(Y.shape)}")
                kernel = torch.zeros(kernel_size).requires_grad_()
                history = []
                for it in range(steps):
                    out = helpers.corr2d_vectorized(X, kernel)
                    loss = F.mse_loss(out, Y)
                    history.append(loss.item())
                    (g,) = torch.autograd.grad(loss, kernel)
                    with torch.no_grad():
                        kernel -= lr * g
                if len(history) > 1 and history[-1] > history[0]:
                    print(f"the loss grew from {history[0]:.3g} to {history[-1]:.3g}: lower lr")
                return kernel.detach()
            """,
            ),
        },
    },
}
BLANK = "blank"  # hands in the stubs as released


def answers_of(lesson):
    """``{student: {solution grade_id: code}}`` of the class for ``lesson``, dedented."""
    answers = {}
    for table in (HONEST[lesson], COPIES[lesson]):
        for cell, by_student in table.items():
            for student, code in by_student.items():
                code = code[1] if isinstance(code, tuple) else code
                answers.setdefault(student, {})[cell] = textwrap.dedent(code).strip("\n")
    answers.setdefault(BLANK, {})
    return answers


def origin(lesson, cell, student):
    """Whose answer ``student``'s answer to ``cell`` is: the student copied, or their own."""
    copied = COPIES[lesson].get(cell, {}).get(student)
    return copied[0] if copied else student


def filled_in(stub_source, code):
    """A solution cell's stub with ``code`` typed in place of its two stub lines, indented like
    them, as a student does."""
    first, second = CODE_STUB.split("\n")
    lines = stub_source.split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip() == first)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    assert lines[at + 1].strip() == second, stub_source
    body = [indent + line if line else "" for line in code.split("\n")]
    return "\n".join(lines[:at] + body + lines[at + 2 :])


def write_class(folder, edition="en"):
    """Write ``folder/<student>/<lesson>.ipynb`` for every student and lesson; returns
    ``{lesson: instructor notebook path}``."""
    instructors = {}
    for lesson in LESSONS:
        instructor = REPO / "notebooks" / ("zh" if edition == "zh" else "") / f"{lesson}.ipynb"
        instructors[lesson] = instructor
        released = student_version(nbformat.read(instructor, as_version=4))
        for student, codes in answers_of(lesson).items():
            notebook = nbformat.from_dict(released)
            for cell in notebook.cells:
                if nbgrader_flag(cell, "solution") and grade_id(cell) in codes:
                    cell.source = filled_in(cell.source, codes[grade_id(cell)])
            (Path(folder) / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, Path(folder) / student / f"{lesson}.ipynb")
    return instructors


def measured_pairs(folder, instructors, min_run=MIN_RUN):
    """Every compared pair of the class: ``[(lesson, exercise, a, b, kind, score, matched,
    own tokens of a, own tokens of b)]``; ``kind`` is "copy" when one answer is a copy of the
    other (or both of a third), "stub" when either student left the exercise unanswered, else
    "indep"."""
    rows = []
    for lesson, instructor_path in instructors.items():
        instructor = nbformat.read(instructor_path, as_version=4)
        submissions = sorted((p.parent.name, p) for p in Path(folder).glob(f"*/{lesson}.ipynb"))
        answers, notes = class_answers(submissions, instructor)
        assert not notes, notes
        cells_of, order = exercises_of(instructor)
        for exercise in order:
            (cell,) = [cell for cell, owner in cells_of.items() if owner == exercise]
            typed = answers_of(lesson)
            students = sorted(answers)
            for i, a in enumerate(students):
                for b in students[i + 1 :]:
                    own_a, own_b = answers[a][exercise], answers[b][exercise]
                    score, matched, _ = compare(own_a, own_b, min_run)
                    kind = "copy" if origin(lesson, cell, a) == origin(lesson, cell, b) else "indep"
                    kind = kind if cell in typed[a] and cell in typed[b] else "stub"
                    rows.append((lesson, exercise, a, b, kind, score, matched,
                                 token_count(own_a), token_count(own_b)))  # fmt: skip
    return rows


def flagged(row, threshold, min_matched=MIN_MATCHED):
    """Whether the tool flags a measured pair: the rule of classroom.copying.flagged_pairs."""
    *_, score, matched, tokens_a, tokens_b = row
    return score >= threshold and matched >= min_matched and min(tokens_a, tokens_b) >= min_matched


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    threshold = parser.parse_args().threshold
    with tempfile.TemporaryDirectory() as folder:
        instructors = write_class(folder)
        start = perf_counter()
        rows = measured_pairs(folder, instructors)
        seconds = perf_counter() - start
        by_run = {run: measured_pairs(folder, instructors, run) for run in (2, 3, 4, 5, 6, 8)}
    print(f"{'lesson':<22}{'exercise':<11}{'pair':<13}{'kind':<8}{'score':>6}{'matched':>8}"
          f"{'own tokens':>12}  flagged")  # fmt: skip
    for row in rows:
        lesson, exercise, a, b, kind, score, matched, tokens_a, tokens_b = row
        print(
            f"{lesson:<22}{exercise:<11}{a + '-' + b:<13}{kind:<8}{score:>6.2f}{matched:>8}"
            f"{f'{tokens_a}/{tokens_b}':>12}  {'FLAGGED' if flagged(row, threshold) else ''}"
        )
    kinds = {kind: [row for row in rows if row[4] == kind] for kind in ("copy", "indep", "stub")}
    judgeable = [row for row in kinds["copy"] if min(row[7], row[8]) >= MIN_MATCHED]
    print(f"\n{len(rows)} pairs read, normalised and compared in {seconds:.2f} s")
    print(f"threshold {threshold:.2f}, at least {MIN_MATCHED} matching tokens")
    for kind, label in (("copy", "copied"), ("indep", "independent"), ("stub", "unanswered")):
        caught = sum(flagged(row, threshold) for row in kinds[kind])
        print(f"{label} pairs flagged: {caught} of {len(kinds[kind])}")
    print(
        f"copied pairs with at least {MIN_MATCHED} own tokens each: {len(judgeable)}, "
        f"lowest score {min(row[5] for row in judgeable):.2f}"
    )
    independent = kinds["indep"]
    long_enough = [row for row in independent if row[6] >= MIN_MATCHED]
    print(
        f"independent pairs: highest score {max(row[5] for row in independent):.2f}, most "
        f"matching tokens {max(row[6] for row in independent)}; matching at least {MIN_MATCHED} "
        f"tokens: {len(long_enough)}, highest score {max(row[5] for row in long_enough):.2f}"
    )
    print("copied / independent pairs flagged, by threshold (columns) and matching tokens (rows):")
    sweep = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    print(f"{'':>10}" + "".join(f"{threshold:>9.2f}" for threshold in sweep))
    for least in (10, 20, 30, MIN_MATCHED, 60):
        cells = [f"{sum(flagged(r, t, least) for r in kinds['copy'])}/"
                 f"{sum(flagged(r, t, least) for r in kinds['indep'])}" for t in sweep]  # fmt: skip
        print(f"{least:>10}" + "".join(f"{cell:>9}" for cell in cells))
    print(f"by the shortest run that counts (MIN_RUN): lowest copy score / highest independent "
          f"score, pairs matching at least {MIN_MATCHED} tokens")  # fmt: skip
    for run, measured in by_run.items():
        long_enough = [row for row in measured if row[4] != "stub" and row[6] >= MIN_MATCHED]
        copies = [row[5] for row in long_enough if row[4] == "copy"]
        independent = [row[5] for row in long_enough if row[4] == "indep"] or [0]
        shared = max(row[6] for row in measured if row[4] == "indep")
        print(f"{run:>10}  {min(copies):.2f} / {max(independent):.2f}  (most tokens two "
              f"independent answers share: {shared})")  # fmt: skip


if __name__ == "__main__":
    main()
