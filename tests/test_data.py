import gzip
import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from explorer import data
from explorer.data import DataError


def make_dataset(folder, n_train=10, n_test=10_000, gz=True):
    """An MNIST-style folder (a train split too short to load, which these tests never do)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    for split, n in (("train", n_train), ("t10k", n_test)):
        data.write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", np.kron(rng.integers(0, 256, (n, 1, 1)), np.ones((1, 28, 28))))
        data.write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", rng.integers(0, 10, n))
    return folder


def test_idx_round_trip(tmp_path):
    a = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        data.write_idx(tmp_path / name, a)
        np.testing.assert_array_equal(data.read_idx(tmp_path / name), a)


def test_truncated_file_names_the_file(tmp_path):
    f = tmp_path / "t10k-images-idx3-ubyte"
    data.write_idx(f, np.zeros((3, 28, 28), np.uint8))
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.*truncated"):
        data.read_idx(f)


def test_wrong_magic_is_refused(tmp_path):
    f = tmp_path / "x.gz"
    with gzip.open(f, "wb") as g:
        g.write(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(DataError, match="not an IDX file"):
        data.read_idx(f)


def test_corrupt_gzip_is_refused(tmp_path):
    f = tmp_path / "x-idx1-ubyte.gz"
    f.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DataError, match="cannot be read"):
        data.read_idx(f)


def test_wrong_count_is_refused(tmp_path):
    folder = make_dataset(tmp_path / "mnist", n_test=9_999)
    with pytest.raises(DataError, match="expected 10,000 images"):
        data.load_split(folder, "test")


def test_search_order_and_uncompressed_files(tmp_path, monkeypatch):
    explicit = make_dataset(tmp_path / "explicit" / "mnist", gz=False)
    env = make_dataset(tmp_path / "env" / "mnist")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.find_dataset("mnist", tmp_path / "explicit") == explicit
    assert data.find_dataset("mnist") == env
    split = data.load("mnist", "test", tmp_path / "explicit")
    assert split.images.shape == (10_000, 28, 28) and split.labels.dtype == np.int64


def test_missing_dataset_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "nothing"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    with pytest.raises(DataError) as e:
        data.load("fashion-mnist", "test")
    message = str(e.value)
    assert data.ENV_VAR in message and "--data-dir" in message and str(tmp_path / "nothing") in message


def test_download_without_network_fails_cleanly(tmp_path, monkeypatch):
    info = data.DATASETS["mnist"]
    monkeypatch.setitem(data.DATASETS, "mnist", data.DatasetInfo(
        info.name, info.title, info.class_names, ("http://127.0.0.1:9/",), info.md5))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataError) as e:
        data.download("mnist", timeout=2)
    message = str(e.value)
    assert message.startswith("Could not download mnist") and "EXPLORER_DATA_DIR" in message
    assert "127.0.0.1:9: could not connect" in message and "offline" in message
    assert "urlopen" not in message and "Errno" not in message  # said for people, not as a repr
    assert not (tmp_path / "cache").exists()  # a failed fetch leaves no empty cache folder behind


@pytest.fixture
def unreachable_mnist(tmp_path, monkeypatch):
    """MNIST nowhere on this computer and its mirror unreachable (a closed local port)."""
    info = data.DATASETS["mnist"]
    monkeypatch.setitem(data.DATASETS, "mnist", data.DatasetInfo(
        info.name, info.title, info.class_names, ("http://127.0.0.1:9/",), info.md5))
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "nothing"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")


def test_fetch_command_fails_cleanly_without_network(tmp_path, unreachable_mnist, capsys):
    from explorer.data import fetch

    assert fetch.main(["mnist"]) == 2
    assert "Could not download mnist" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists()


def test_fetch_optional_says_why_and_exits_0_without_network_so_the_app_still_starts(tmp_path, unreachable_mnist, capsys):
    from explorer.data import fetch

    assert fetch.main(["mnist", "--optional"]) == 0
    said = capsys.readouterr()
    assert "127.0.0.1:9: could not connect" in said.err and "EXPLORER_DATA_DIR" in said.err
    assert "Continuing without mnist" in said.out
    assert not (tmp_path / "cache").exists()
    assert fetch.main(["mnist", "--where", "--optional"]) == 0 and "Continuing without mnist" in capsys.readouterr().out
    assert fetch.main(["mnist", "--where"]) == 2


def test_fetch_checks_a_dataset_already_here_and_downloads_nothing_but_a_damaged_one_fails(tmp_path, monkeypatch,
                                                                                          capsys):
    from explorer.data import fetch

    folder = tmp_path / "d" / "mnist"
    folder.mkdir(parents=True)
    for stem, n in (("train", 60_000), ("t10k", 10_000)):  # the sizes load checks; plain files write fastest
        data.write_idx(folder / f"{stem}-images-idx3-ubyte", np.zeros((n, 28, 28), np.uint8))
        data.write_idx(folder / f"{stem}-labels-idx1-ubyte", np.zeros(n, np.uint8))

    def no_download(*args, **kwargs):
        raise AssertionError("downloaded a dataset that was already here")

    monkeypatch.setattr(data, "download", no_download)
    for flags in ([], ["--optional"]):
        assert fetch.main(["mnist", "--data-dir", str(tmp_path / "d"), *flags]) == 0
        assert capsys.readouterr().out.splitlines() == [
            "mnist train: 60,000 images, checked", "mnist test: 10,000 images, checked", str(folder)]
    data.write_idx(folder / "train-labels-idx1-ubyte", np.zeros(10, np.uint8))  # damaged: 10 labels for 60,000 images
    assert fetch.main(["mnist", "--data-dir", str(tmp_path / "d"), "--optional"]) == 2
    assert "expected 60,000 labels" in capsys.readouterr().err


def test_the_same_folder_is_listed_once(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "d"))
    dirs = data.candidate_dirs("mnist", tmp_path / "d")
    assert len(dirs) == len(set(dirs)) and dirs[0] == tmp_path / "d" / "mnist"
    assert data.missing_message("mnist", tmp_path / "d").count(str(tmp_path / "d" / "mnist")) == 1


def test_missing_and_damaged_are_told_apart(tmp_path, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    with pytest.raises(data.DataMissing):
        data.load("mnist", "test", tmp_path / "nothing")
    folder = make_dataset(tmp_path / "d" / "mnist")
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DataError) as e:
        data.load("mnist", "test", tmp_path / "d")
    assert not isinstance(e.value, data.DataMissing) and "cannot be read" in str(e.value)


def test_download_verifies_checksums(tmp_path, monkeypatch):
    """A real HTTP download from a local server: good files land, a tampered one is refused."""
    served = make_dataset(tmp_path / "served")
    md5 = {f.name: hashlib.md5(f.read_bytes()).hexdigest() for f in served.iterdir()}
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        info = data.DATASETS["mnist"]
        monkeypatch.setitem(data.DATASETS, "mnist", data.DatasetInfo(
            info.name, info.title, info.class_names, (url,), md5))
        folder = data.download("mnist", tmp_path / "dl")
        assert data.load_split(folder, "test").images.shape == (10_000, 28, 28)

        md5["t10k-labels-idx1-ubyte.gz"] = "0" * 32
        with pytest.raises(DataError, match="checksum mismatch"):
            data.download("mnist", tmp_path / "dl2")
    finally:
        server.shutdown()


def test_real_mnist_loads(mnist_test):
    assert mnist_test.images.shape == (10_000, 28, 28) and mnist_test.images.dtype == np.uint8
    assert np.bincount(mnist_test.labels).tolist()[:3] == [980, 1135, 1032]


def test_a_data_folder_this_user_may_not_read_is_named_not_a_traceback(tmp_path, monkeypatch):
    """A server running as another user than the dataset's owner: the folder is named in a
    DataError, which every page and command shows (before: PermissionError from Path.is_file)."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    real = Path.is_file

    def no_entry(self):
        if self.parent == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "is_file", no_entry)
    with pytest.raises(data.DataError, match=f"{folder}: cannot be read \\(Permission denied\\)"):
        data.load("mnist", "test", tmp_path)
