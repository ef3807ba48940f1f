"""Figure functions: each writes a PNG, and bad input or a failed draw leaves no file behind."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlgenomics.report import plots
from dlgenomics.report.views import PREDICTION_VIEWS
from dlgenomics.tasks.objectives import OBJECTIVES

PNG = b"\x89PNG"


def is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:4] == PNG


def no_leftovers(path: Path) -> bool:
    """Neither the target nor an atomic-write temporary beside it."""
    return not path.exists() and not list(path.parent.glob(f".{path.name}.*"))


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray]:
    """Three labels over 40 rows: a clear one, a noisy one, and one with no positives."""
    rng = np.random.default_rng(0)
    truth = np.zeros((40, 3), dtype=int)
    truth[:20, 0] = 1
    truth[::3, 1] = 1
    score = truth + rng.normal(0, [0.3, 1.0, 0.5], size=(40, 3))
    return truth, score


@pytest.mark.parametrize("draw", [plots.roc_curves, plots.pr_curves])
def test_curves_one_and_three_labels(draw, binary, tmp_path: Path) -> None:
    truth, score = binary
    draw(truth[:, 0], score[:, 0], ["clear"], "one label, 1-D", tmp_path / "one.png")
    draw(truth, score, ["clear", "noisy", "no positives"], "three", tmp_path / "three.png")
    assert is_png(tmp_path / "one.png")
    assert is_png(tmp_path / "three.png")


def test_roc_single_class_label_gets_legend_note(binary, tmp_path: Path, monkeypatch) -> None:
    truth, score = binary
    legends: list[list[str]] = []
    monkeypatch.setattr(
        plots, "_save", lambda fig, path: legends.append(
            [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ) or plt.close(fig),
    )  # fmt: skip
    plots.roc_curves(truth, score, ["clear", "noisy", "none"], "t", tmp_path / "roc.png")
    assert "none (one class: no curve)" in legends[0]
    assert legends[0][0].startswith("clear (AUROC ")


@pytest.mark.parametrize("draw", [plots.roc_curves, plots.pr_curves])
def test_curves_reject_wrong_label_count_and_shapes(draw, binary, tmp_path: Path) -> None:
    truth, score = binary
    target = tmp_path / "bad.png"
    with pytest.raises(ValueError, match="labels"):
        draw(truth, score, ["a", "b"], "t", target)
    with pytest.raises(ValueError, match="labels"):
        draw(truth[:, 0], score[:, 0], ["a", "b"], "t", target)
    with pytest.raises(ValueError, match="shape"):
        draw(truth, score[:, :2], ["a", "b", "c"], "t", target)
    assert no_leftovers(target)


def test_confusion_matrices(binary, tmp_path: Path) -> None:
    truth, score = binary
    predicted = (score > 0.5).astype(int)
    plots.confusion_matrices(truth[:, 0], predicted[:, 0], ["clear"], "one", tmp_path / "a.png")
    plots.confusion_matrices(
        truth, predicted, ["a", "b", "c"], "three", tmp_path / "b.png", class_names=("no", "yes")
    )
    assert is_png(tmp_path / "a.png")
    assert is_png(tmp_path / "b.png")
    with pytest.raises(ValueError, match="shape"):
        plots.confusion_matrices(truth, predicted[:5], ["a", "b", "c"], "t", tmp_path / "c.png")
    with pytest.raises(ValueError, match="0 and 1"):
        plots.confusion_matrices(truth, score, ["a", "b", "c"], "t", tmp_path / "c.png")
    assert no_leftovers(tmp_path / "c.png")


def test_sequence_logos_pads_shorter_panels(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    long = rng.dirichlet([0.3] * 4, size=8)
    short = np.full((5, 4), 0.25)
    short[2] = [1, 0, 0, 0]  # a fully informative column: 2 bits
    plots.sequence_logos([("learned", long), ("known", short)], tmp_path / "logo.png")
    assert is_png(tmp_path / "logo.png")
    rna = tmp_path / "rna.png"
    plots.sequence_logos([("rna", short)], rna, alphabet="ACGU")
    assert is_png(rna)


def test_sequence_logos_rejects_bad_matrices(tmp_path: Path) -> None:
    target = tmp_path / "logo.png"
    with pytest.raises(ValueError, match="shape"):
        plots.sequence_logos([("ok", np.full((3, 4), 0.25)), ("bad", np.ones((3, 5)))], target)
    with pytest.raises(ValueError, match="probabilities"):
        plots.sequence_logos([("negative", -np.ones((3, 4)))], target)
    with pytest.raises(ValueError, match="at least one"):
        plots.sequence_logos([], target)
    assert no_leftovers(target)


def test_information_content_in_bits() -> None:
    heights = plots._information_content(np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]]))
    np.testing.assert_allclose(heights, [[2, 0, 0, 0], [0, 0, 0, 0]], atol=1e-12)


def attribution_inputs(m: int, length: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    sequences = ["".join(rng.choice(list("ACGT"), length)) for _ in range(m)]
    onehot = np.array([[[b == a for a in "ACGT"] for b in s] for s in sequences], dtype=float)
    saliency = onehot * rng.normal(0, 1, (m, length, 1))  # signed: some letters below the axis
    ism = rng.normal(0, 0.5, (m, length, 4)) * (1 - onehot)  # 0 at the observed base
    return sequences, saliency, ism


def test_attribution_maps(tmp_path: Path) -> None:
    sequences, saliency, ism = attribution_inputs(2, 12)
    assert (saliency < 0).any()
    plots.attribution_maps(sequences, saliency, ism, ["first", "second"], tmp_path / "a.png")
    assert is_png(tmp_path / "a.png")


def test_attribution_maps_rejects_mismatches(tmp_path: Path) -> None:
    sequences, saliency, ism = attribution_inputs(2, 12)
    target = tmp_path / "a.png"
    with pytest.raises(ValueError, match=r"\(m, L"):
        plots.attribution_maps(sequences, saliency, ism[:, :10], ["a", "b"], target)
    with pytest.raises(ValueError, match="titles"):
        plots.attribution_maps(sequences, saliency, ism, ["a"], target)
    with pytest.raises(ValueError, match="same length"):
        plots.attribution_maps([sequences[0], "ACG"], saliency, ism, ["a", "b"], target)
    assert no_leftovers(target)


def test_token_attribution_heatmaps_with_nan(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    nucleotides = rng.normal(0, 1, (4, 23))
    modifications = rng.normal(0, 1, (20, 23))
    modifications[rng.random((20, 23)) < 0.6] = np.nan  # tokens never seen at a position
    modifications[5] = np.nan  # a token never seen at all
    plots.token_attribution_heatmaps(
        {
            "seq_antisense": (nucleotides, list("ACGU")),
            "nmod_antisense": (modifications, [f"mod{i}" for i in range(20)]),
        },
        "attribution per token",
        tmp_path / "tokens.png",
    )
    assert is_png(tmp_path / "tokens.png")


def test_token_attribution_heatmaps_rejects_mismatch(tmp_path: Path) -> None:
    target = tmp_path / "tokens.png"
    with pytest.raises(ValueError, match="seq_antisense"):
        plots.token_attribution_heatmaps({"seq_antisense": (np.zeros((4, 5)), ["A"])}, "t", target)
    with pytest.raises(ValueError, match="at least one"):
        plots.token_attribution_heatmaps({}, "t", target)
    assert no_leftovers(target)


def test_failed_save_leaves_no_file(binary, tmp_path: Path, monkeypatch) -> None:
    """A draw that fails while writing leaves neither the figure nor a partial temporary."""
    truth, score = binary

    def broken_savefig(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plt.Figure, "savefig", broken_savefig)
    target = tmp_path / "roc.png"
    with pytest.raises(OSError, match="disk full"):
        plots.roc_curves(truth, score, ["a", "b", "c"], "t", target)
    assert no_leftovers(target)


@pytest.fixture
def multiclass() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Four classes over 60 rows, each row's own class likelier; the last class never occurs."""
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 3, 60)
    logits = rng.normal(0, 1, (60, 4))
    logits[np.arange(60), truth] += 2.0
    probability = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return truth, probability, ["promoter", "enhancer", "insulator", "silencer"]


def captured(monkeypatch) -> list[plt.Figure]:
    """Figures handed to _save, kept open to inspect instead of written."""
    figures: list[plt.Figure] = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    return figures


def test_multiclass_confusion_draws_k_by_k_cells(multiclass, tmp_path: Path, monkeypatch) -> None:
    truth, probability, labels = multiclass
    predicted = probability.argmax(axis=1)
    with monkeypatch.context() as patch:
        figures = captured(patch)
        plots.multiclass_confusion(truth, predicted, labels, "t", tmp_path / "cm.png")
    ax = figures[0].axes[0]
    assert ax.images[0].get_array().shape == (4, 4)
    assert len(ax.texts) == 16
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    counts = np.zeros((4, 4), dtype=int)
    np.add.at(counts, (truth, predicted), 1)
    first = counts[0, 0]
    assert ax.texts[0].get_text() == f"{first}\n{first / counts[0].sum():.1%}"
    assert ax.texts[-1].get_text() == f"{counts[3, 3]}\n–"  # silencer: no true rows, no share
    plt.close(figures[0])
    plots.multiclass_confusion(truth.astype(float), predicted, labels, "t", tmp_path / "cm.png")
    assert is_png(tmp_path / "cm.png")


def test_multiclass_confusion_rejects_bad_input(multiclass, tmp_path: Path) -> None:
    truth, probability, labels = multiclass
    predicted = probability.argmax(axis=1)
    target = tmp_path / "bad.png"
    with pytest.raises(ValueError, match="shape"):
        plots.multiclass_confusion(truth, predicted[:5], labels, "t", target)
    with pytest.raises(ValueError, match=r"y_pred_idx must hold class indices 0\.\.3"):
        plots.multiclass_confusion(truth, np.full(len(truth), 4), labels, "t", target)
    with pytest.raises(ValueError, match="2 or more labels"):
        plots.multiclass_confusion(truth * 0, predicted * 0, ["only"], "t", target)
    with pytest.raises(ValueError, match=r"\(n,\)"):
        plots.multiclass_confusion(np.eye(4)[truth], predicted, labels, "t", target)
    assert no_leftovers(target)


@pytest.mark.parametrize("draw", [plots.roc_curves, plots.pr_curves])
def test_curves_one_vs_rest_per_class(draw, multiclass, tmp_path: Path, monkeypatch) -> None:
    """A multi-class task's one-hot truth and probabilities: one curve per class."""
    truth, probability, labels = multiclass
    onehot = np.eye(4)[truth]
    with monkeypatch.context() as patch:
        figures = captured(patch)
        draw(onehot, probability, labels, "t", tmp_path / "curves.png")
    legend = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    plt.close(figures[0])
    for label in labels[:3]:
        assert any(text.startswith(f"{label} (AU") for text in legend)
    assert "silencer (one class: no curve)" in legend
    draw(onehot, probability, labels, "t", tmp_path / "curves.png")
    assert is_png(tmp_path / "curves.png")


def test_prediction_plot_multiclass(multiclass, tmp_path: Path, monkeypatch) -> None:
    truth, probability, labels = multiclass
    with monkeypatch.context() as patch:
        figures = captured(patch)
        plots.prediction_plot("multiclass", truth, probability, "t", tmp_path / "p.png", labels)
    ax = figures[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    # A box for each class's own rows and one for the rest, except silencer's own (no rows).
    assert len(ax.patches) == 2 * 4 - 1
    plt.close(figures[0])
    plots.prediction_plot("multiclass", truth, probability, "t", tmp_path / "p.png")
    assert is_png(tmp_path / "p.png")
    onehot = tmp_path / "onehot.png"
    plots.prediction_plot("multiclass", np.eye(4)[truth], probability, "t", onehot, labels)
    assert is_png(onehot)
    bad = tmp_path / "bad.png"
    with pytest.raises(ValueError, match="labels"):
        plots.prediction_plot("multiclass", truth, probability, "t", bad, labels[:2])
    with pytest.raises(ValueError, match="shape"):
        plots.prediction_plot("multiclass", truth[:5], probability, "t", bad)
    with pytest.raises(ValueError, match="single 1"):
        plots.prediction_plot("multiclass", np.ones((60, 4)), probability, "t", bad)
    assert no_leftovers(bad)


@pytest.mark.parametrize("family", ["sirna", "regression", "binary"])
def test_prediction_plot_other_families(family, binary, tmp_path: Path) -> None:
    truth, score = binary
    y_true = truth[:, 0] if family == "binary" else 100 * score[:, 1]
    plots.prediction_plot(family, y_true, score[:, 0], "t", tmp_path / "p.png")
    assert is_png(tmp_path / "p.png")


def test_every_objective_names_a_figure_the_report_draws():
    for name in OBJECTIVES:
        assert PREDICTION_VIEWS[name].figure in plots.PREDICTION_FIGURES, name
    with pytest.raises(ValueError, match="unknown prediction figure"):
        plots.prediction_figure("pie", "regression", np.zeros(2), np.zeros(2), [], "t", Path("x"))
