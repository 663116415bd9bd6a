"""The datasets' classifiers (explorer/baselines/classifier) that read the class regions layer."""

import numpy as np
import pytest

from explorer.baselines import classifier


def test_the_mnist_classifier_is_as_accurate_as_recorded(mnist_test):
    clf = classifier.load("mnist")
    assert clf is not None and clf.info["dataset"] == "mnist"
    accuracy = (clf.predict(mnist_test.images) == mnist_test.labels).mean()
    assert accuracy == pytest.approx(clf.info["test_accuracy"], abs=1e-4)
    assert accuracy > 0.97


def test_a_missing_classifier_is_none_and_a_damaged_one_an_error(tmp_path):
    assert classifier.load("mnist", tmp_path) is None
    (tmp_path / "mnist.safetensors").write_bytes(b"not safetensors")
    (tmp_path / "mnist.json").write_text("{}")
    with pytest.raises(classifier.ClassifierError, match="mnist.safetensors"):
        classifier.load("mnist", tmp_path)


@pytest.mark.slow
def test_training_a_classifier_writes_one_that_loads(tmp_path, data_dir):
    clf = classifier.train("mnist", data_dir, epochs=1)
    classifier.save(clf, tmp_path)
    back = classifier.load("mnist", tmp_path)
    images = np.random.default_rng(0).random((20, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(back.predict(images), clf.predict(images))
