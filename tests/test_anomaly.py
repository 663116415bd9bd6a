"""Anomaly detection by reconstruction error: the ROC AUC (explorer.bundles.evaluate.roc_auc) against
scikit-learn's, and the single-class model's AUC recomputed on the test set."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import explorer
from explorer.bundles import evaluate


def test_roc_auc_agrees_with_scikit_learn_ties_included():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = rng.integers(5, 300)
        scores = rng.integers(0, 8, n).astype(float) if rng.random() < 0.5 else rng.normal(size=n)
        positive = rng.random(n) < 0.3
        if positive.all() or not positive.any():
            continue
        assert evaluate.roc_auc(scores, positive) == pytest.approx(roc_auc_score(positive, scores))
    assert evaluate.roc_auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert evaluate.roc_auc([1, 2, 3, 4], [True, True, False, False]) == 0.0
    assert evaluate.roc_auc([5, 5, 5, 5], [True, False, True, False]) == 0.5
    with pytest.raises(ValueError):
        evaluate.roc_auc([1, 2], [True, True])


def test_the_single_class_model_flags_every_other_digit(data_dir):
    """mnist0-ae-4 learned only zeros: its reconstruction error tells the other digits from zeros
    with ROC AUC >= 0.95, recomputed here on the whole test set as recorded in its bundle."""
    from explorer import data

    m = explorer.load_model("mnist0-ae-4")
    assert m.classes == [0] and m.config["training"]["digits"] == [0]
    test = data.load("mnist", "test", data_dir)
    got = evaluate.anomaly_metrics(m, test)
    assert got["anomaly_auc"] >= 0.95
    assert got["anomaly_auc"] == pytest.approx(m.metrics["anomaly_auc"], abs=1e-4)
    by_class = got["recon_error_by_class"]
    assert by_class[0] < min(v for c, v in by_class.items() if c != 0)  # zeros are rebuilt best
