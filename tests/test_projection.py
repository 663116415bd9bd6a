import numpy as np
import pytest

import explorer
from explorer import maps as projection
from explorer.maps import DirectMap, PCAMap, TSNEMap, available, compute_tsne, resolve


def test_direct_map_is_the_identity():
    codes = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    mp = DirectMap(codes)
    np.testing.assert_array_equal(mp.xy, codes)
    np.testing.assert_array_equal(mp.to_latent(codes[:3]), codes[:3])
    assert mp.exact
    with pytest.raises(ValueError, match="2-d codes"):
        DirectMap(np.zeros((4, 3)))


def test_pca_round_trip_is_exact_on_the_plane():
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(500, 16)) * np.linspace(3, 0.1, 16)
    mp = PCAMap(codes)
    points = rng.normal(size=(20, 2)) * 3
    np.testing.assert_allclose(mp.to_map(mp.to_latent(points)), points, atol=1e-4)
    np.testing.assert_allclose(mp.to_map(codes), mp.xy, atol=1e-4)
    # the first axis carries the most variance, and the ratios are honest fractions
    assert mp.xy[:, 0].var() > mp.xy[:, 1].var()
    assert 0 < sum(mp.extra["explained_variance_ratio"]) <= 1


def test_pca_of_codes_in_a_plane_inverts_them():
    rng = np.random.default_rng(2)
    basis = np.linalg.qr(rng.normal(size=(8, 2)))[0].T
    codes = rng.normal(size=(100, 2)) @ basis + 5.0
    mp = PCAMap(codes)
    np.testing.assert_allclose(mp.to_latent(mp.xy), codes, atol=1e-4)


def test_available_maps():
    assert available(2)[0] == "direct" and "pca" in available(16)
    assert resolve("auto", 16) == "tsne" and resolve("auto", 2) == "direct"
    with pytest.raises(ValueError, match="does not apply"):
        resolve("direct", 16)


def blobs(n_per=100, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, dim)) * 10
    codes = np.concatenate([c + rng.normal(size=(n_per, dim)) for c in centres]).astype(np.float32)
    return codes, np.repeat(np.arange(3), n_per)


@pytest.fixture(scope="module")
def embedded_blobs():
    codes, labels = blobs()
    return codes, labels, compute_tsne(codes, seed=0, n_jobs=1)


def test_tsne_estimates_land_near_the_truth(embedded_blobs):
    codes, labels, xy = embedded_blobs
    mp = TSNEMap(codes, xy)
    assert not mp.exact and mp.xy.shape == (300, 2)
    # a click exactly on a test point gives back that point's own code
    np.testing.assert_allclose(mp.to_latent(xy[[5, 150]]), codes[[5, 150]], atol=1e-5)
    np.testing.assert_allclose(mp.to_map(codes[[7]]), xy[[7]], atol=1e-5)
    # between points, the estimate is a code of the same blob: nearer its own centre than the others
    nudged = xy[:: 25] + 0.1
    est = mp.to_latent(nudged)
    centres = np.stack([codes[labels == c].mean(0) for c in range(3)])
    nearest = ((est[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(nearest, labels[:: 25])
    idx, w = mp.estimate(nudged[:1])
    assert idx.shape == (1, 10) and np.isclose(w.sum(), 1.0)


def test_tsne_keeps_clusters_apart(embedded_blobs):
    codes, labels, xy = embedded_blobs
    centres = np.stack([xy[labels == c].mean(0) for c in range(3)])
    spread = max(np.linalg.norm(xy[labels == c] - centres[c], axis=1).mean() for c in range(3))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3)]
    assert min(gaps) > 2 * spread


def test_a_corrupt_cached_map_is_recomputed_once_then_served_from_the_cache(tmp_path, monkeypatch):
    from explorer.maps import cache_file, stored_layout

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    codes, _ = blobs(n_per=20)
    file = cache_file(codes, "tsne")
    file.parent.mkdir(parents=True)
    file.write_bytes(b"not a safetensors file")
    calls = []
    real = TSNEMap.compute_layout.__func__
    monkeypatch.setattr(TSNEMap, "compute_layout", classmethod(lambda cls, c, progress=None: calls.append(1) or real(cls, c, progress)))
    xy = stored_layout("tsne", codes, {})
    assert xy.shape == (60, 2) and np.isfinite(xy).all() and len(calls) == 1
    np.testing.assert_array_equal(stored_layout("tsne", codes, {}), xy)
    assert len(calls) == 1  # the second came from the cache file, not a (seeded, identical) recompute


def test_sessions_asking_at_once_for_a_layout_share_one_computation_and_its_progress(tmp_path, monkeypatch):
    """A second session asking for a layout being computed follows that computation's progress and
    takes its result (where it computed its own beside it before); a failure reaches both."""
    import threading
    import time

    from explorer.maps import stored_layout

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    codes, _ = blobs(n_per=20)
    started, calls = threading.Event(), []

    def slow(cls, c, progress=None):
        calls.append(1)
        started.set()
        for f in (0.25, 0.5, 0.75):
            progress(f)
            time.sleep(0.4)
        if len(calls) > 1:
            raise RuntimeError("stopped")
        return np.full((len(c), 2), 7.0, np.float32)

    monkeypatch.setattr(TSNEMap, "compute_layout", classmethod(slow))
    results, heard = {}, {"first": [], "second": []}

    def session(name, of=codes):
        try:
            results[name] = stored_layout("tsne", of, {}, progress=heard[name].append)
        except RuntimeError as e:
            results[name] = e

    first = threading.Thread(target=session, args=("first",))
    first.start()
    started.wait(5)
    session("second")
    first.join()
    assert len(calls) == 1
    np.testing.assert_array_equal(results["second"], results["first"])
    assert heard["second"] and set(heard["second"]) <= {0.25, 0.5, 0.75} and heard["first"] == [0.25, 0.5, 0.75]
    # a computation that fails fails for every session waiting on it, and the next one starts afresh
    codes2 = codes + 1
    calls.append(1)  # the next computation fails
    started.clear()
    first = threading.Thread(target=session, args=("first", codes2))
    first.start()
    started.wait(5)
    with pytest.raises(RuntimeError, match="stopped"):
        stored_layout("tsne", codes2, {})
    first.join()
    assert isinstance(results["first"], RuntimeError) and len(calls) == 3


def test_the_registry_describes_every_map_kind():
    for name, kind in projection.MAPS.items():
        assert kind.name == name and kind.label and kind.title and kind.help
        assert isinstance(kind.exact, bool)
    assert available(2) == ["direct", "pca", "tsne"] and available(16) == ["tsne", "pca", "umap"]
    assert [k for k in projection.MAPS if projection.MAPS[k].stored] == ["tsne", "umap"]
    assert projection.stored_kinds(when_trained=True) == ["tsne"]  # UMAP: computed when first opened


def test_a_new_map_kind_is_one_class(monkeypatch):
    """Registering a class is all it takes for the registry, the state and the models to offer it."""
    monkeypatch.setitem(projection.MAPS, "first2", None)  # undone at the end: the registry as it was

    @projection.register
    class FirstTwo(projection.LatentMap):
        name, label, title, exact = "first2", "first two", "the first two numbers", False
        help = "the first two numbers of each code"

        @classmethod
        def build(cls, codes, layout=None):
            return cls(codes[:, :2], ("z1", "z2"), "The first two numbers.")

        def to_latent(self, points):
            return np.zeros((len(points), 16), np.float32)

    assert "first2" in available(16)
    import explorer
    from explorer.bundles import bundle
    from explorer.teaching.state import from_query
    from explorer.bundles.catalog import BundleCatalog

    m = explorer.load_model("mnist-vae-16")
    np.testing.assert_array_equal(m.map("first2").xy, m.latents.codes[:, :2])
    # the state takes it from a link, a spot on it included, and writes it back
    catalog = BundleCatalog.from_dirs([bundle.PRETRAINED_DIR], "mnist-vae-2d")
    x, y = (float(v) for v in m.latents.codes[0, :2])
    view, notes, _ = from_query({"model": "mnist-vae-16", "map": "first2", "spot": f"{x:.7g},{y:.7g}"}, catalog)
    assert (view.map, notes) == ("first2", []) and view.spot == pytest.approx((x, y), rel=1e-6)
    assert view.to_query()["map"] == "first2"


def test_tsne_estimate_of_a_real_model_lands_near_the_true_code():
    """On the shipped 16-d VAE: a spot a hair away from a test point decodes from a code close to
    that point's own code, closer than the typical distance to another code of its class."""
    import explorer

    m = explorer.load_model("mnist-vae-16")
    mp = m.map("tsne")
    codes, labels = m.latents.codes, m.latents.labels
    rows = np.random.default_rng(0).choice(len(codes), 200, replace=False)
    est = mp.to_latent(mp.xy[rows] + 0.05)
    err = np.linalg.norm(est - codes[rows], axis=1)
    same_class = np.array([np.linalg.norm(codes[labels == labels[r]] - codes[r], axis=1).mean() for r in rows])
    assert np.median(err / same_class) < 0.5
    # and the way there: a slightly moved test code, placed by to_map, lands among its class
    moved = codes[rows] + 0.05 * codes.std(0) * np.random.default_rng(1).normal(size=(len(rows), codes.shape[1]))
    placed = mp.to_map(moved)
    nearest = np.argmin(((placed[:, None] - mp.xy[None]) ** 2).sum(-1), axis=1)
    assert (labels[nearest] == labels[rows]).mean() >= 0.9


@pytest.mark.slow
def test_umap_keeps_classes_together_and_its_transform_places_new_codes_among_their_class():
    """umap-learn's layout of 2,000 of mnist-vae-16's test codes: a code's 10 nearest on the map
    mostly share its class; 200 other codes, placed by UMAP's transform, land among their class."""
    from explorer.maps.umap_map import UMAPMap, compute_umap

    m = explorer.load_model("mnist-vae-16")
    codes, labels = m.latents.codes, m.latents.labels
    xy = compute_umap(codes[:2000])
    mp = UMAPMap(codes[:2000], xy)
    _, idx = projection.nearest(xy, xy, 11)
    assert (labels[:2000][idx[:, 1:]] == labels[:2000, None]).mean() > 0.8
    placed = mp.to_map(codes[2000:2200])
    _, near = projection.nearest(placed, xy, 10)
    assert (labels[:2000][near] == labels[2000:2200, None]).mean() > 0.75
