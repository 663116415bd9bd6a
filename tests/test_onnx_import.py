"""Importing a stranger's autoencoder from ONNX: models trained here with plain
PyTorch and none of our code, exported with torch.onnx.export, imported, and held to what
onnxruntime itself computes from the same files: the codes, the metrics, and the images the
browser decodes."""

import io
import os
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import explorer
from explorer.bundles import bundle, webexport
from explorer import data, maps as projection
from explorer.onnx import browser as onnx_browser, exporter as onnx_export, importer as onnx_import

from . import browser
from .conftest import ROOT, find_or_fetch
from .test_webexport import browser_decodes, random_points, serve_model

TOLERANCE = 2 / 255  # the browser's image against onnxruntime's, per pixel
N_POINTS = 200


class ExamplesVAE(nn.Module):
    """pytorch/examples' MNIST VAE (vae/main.py): 784-400-20, ReLU, a sigmoid decoder."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))


class Part(nn.Module):
    """One method of a model as a module of its own, to export."""

    def __init__(self, owner, method):
        super().__init__()
        self.owner, self.method = owner, method

    def forward(self, x):
        return getattr(self.owner, self.method)(x)


class ConvDecoder(nn.Module):
    """A decoder of the kind people write: dense, BatchNorm, nearest upsampling, convolutions,
    LeakyReLU, ELU, SiLU (exported as x * Sigmoid(x)), ending in a plain linear output trained with squared error (no sigmoid)."""

    def __init__(self, k=8):
        super().__init__()
        self.fc = nn.Linear(k, 32 * 7 * 7)
        self.net = nn.Sequential(
            nn.BatchNorm2d(32), nn.LeakyReLU(0.2), nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(32, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ELU(), nn.Upsample(scale_factor=2), nn.SiLU(),
            nn.Conv2d(16, 8, 3, padding=1), nn.Tanh(), nn.ConvTranspose2d(8, 1, 3, stride=1, padding=1))

    def forward(self, z):
        return self.net(self.fc(z).view(-1, 32, 7, 7))


class ConvEncoder(nn.Module):
    def __init__(self, k=8):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(32 * 7 * 7, k))

    def forward(self, x):  # [N, 1, 28, 28]
        return self.net(x)


def to_onnx(module, example, inputs, outputs) -> bytes:
    buffer = io.BytesIO()
    axes = {name: {0: "N"} for name in inputs + outputs}
    torch.onnx.export(module.eval(), (example,), buffer, dynamo=False, input_names=inputs, output_names=outputs,
                      dynamic_axes=axes, opset_version=17)
    return buffer.getvalue()


def train_images(data_dir, n):
    split = data.load("mnist", "train", data_dir)
    return torch.from_numpy(split.images[:n].astype(np.float32) / 255.0)


@pytest.fixture(scope="module")
def examples_vae(images_dir):
    """pytorch/examples' VAE, one epoch on 4,000 training images, as two ONNX files."""
    torch.manual_seed(0)
    vae = ExamplesVAE()
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    x_all = train_images(images_dir, 4000).view(-1, 784)
    for x in x_all.split(128):
        mu, logvar = vae.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        bce = F.binary_cross_entropy(vae.decode(z), x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        opt.zero_grad()
        ((bce + kld) / len(x)).backward()
        opt.step()
    enc = to_onnx(Part(vae, "encode"), torch.zeros(2, 784), ["x"], ["mu", "logvar"])
    dec = to_onnx(Part(vae, "decode"), torch.zeros(2, 20), ["z"], ["recon"])
    return enc, dec


@pytest.fixture(scope="module")
def conv_ae(images_dir):
    """A conv autoencoder with a linear (MSE) output, 40 steps, as two ONNX files."""
    torch.manual_seed(0)
    enc, dec = ConvEncoder(), ConvDecoder()
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=2e-3)
    x_all = train_images(images_dir, 2560).view(-1, 1, 28, 28)
    for x in x_all.split(64):
        loss = F.mse_loss(dec(enc(x)), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (to_onnx(enc, torch.zeros(2, 1, 28, 28), ["image"], ["code"]),
            to_onnx(dec, torch.zeros(2, 8), ["code"], ["image"]))


@pytest.fixture(scope="module")
def conv_model(conv_ae, images_dir):
    return onnx_import.import_model(*conv_ae, "mnist", "conv", data_dir=images_dir, tsne=False)


@pytest.fixture(scope="module")
def imported(examples_vae, images_dir, tmp_path_factory):
    enc, dec = examples_vae
    model = onnx_import.import_model(enc, dec, "mnist", "examples-vae", data_dir=images_dir, tsne=False)
    folder = tmp_path_factory.mktemp("models") / "examples-vae"
    bundle.save(model, folder, model.config, model.latents)
    return folder


def session(data_):
    return ort.InferenceSession(data_, providers=["CPUExecutionProvider"])


def test_the_examples_vae_imports_with_onnxruntimes_codes_and_recomputed_metrics(examples_vae, imported, images_dir):
    enc, dec = examples_vae
    model = explorer.load_model(imported)
    assert model.kind == "vae" and model.latent_dim == 20 and model.kind_info.has_posterior
    spec = model.config["onnx"]
    assert spec["encoder_input"]["layout"] == "flat" and spec["output"] == "sigmoid"
    assert any("as their names say" in a for a in spec["assumed"]) and any("Sigmoid" in a for a in spec["assumed"])
    assert sorted(p.name for p in imported.iterdir()) == ["config.json", "decoder.onnx", "encoder.onnx",
                                                           "latents.safetensors"]
    assert (imported / "encoder.onnx").read_bytes() == enc  # the file as it came
    test = data.load("mnist", "test", images_dir)
    x = test.images.reshape(-1, 784).astype(np.float32) / 255
    mu, logvar = session(enc).run(None, {"x": x})
    np.testing.assert_allclose(model.latents.codes, mu, atol=1e-5)
    np.testing.assert_array_equal(model.latents.index, np.arange(10_000))
    recon = session(dec).run(None, {"z": mu})[0]
    m = model.metrics
    assert m["test_mse"] == pytest.approx(((recon - x) ** 2).mean(), abs=2e-6)
    kl = 0.5 * (mu ** 2 + np.exp(logvar) - 1 - logvar).sum(1).mean()
    assert m["test_kl"] == pytest.approx(kl, rel=1e-4)
    bce = -(x * np.log(np.clip(recon, 1e-6, 1)) + (1 - x) * np.log(np.clip(1 - recon, 1e-6, 1))).sum(1).mean()
    assert m["test_bce"] == pytest.approx(bce, rel=1e-3)
    assert m["test_neg_elbo"] > m["test_kl"] and m["n_test"] == 10_000
    np.testing.assert_allclose(model.decode(mu[:50]), recon[:50].reshape(-1, 28, 28), atol=1e-6)
    assert set(m["class_middles_by_map"]) == {"pca"}  # t-SNE not computed (tsne=False); the app offers it on demand


@pytest.fixture(scope="module")
def exported_back(images_dir):
    """The shipped mnist-ae-2d, and the bundle its ONNX export imports back as on ``images_dir``."""
    original = explorer.load_model("mnist-ae-2d")
    files = onnx_export.export(original)
    return original, onnx_import.import_model(files["encoder.onnx"], files["decoder.onnx"], "mnist", "back",
                                              data_dir=images_dir, tsne=False)


def test_an_exported_bundle_imports_back_with_the_same_decodes_and_map(exported_back, images_dir):
    original, back = exported_back
    assert back.kind == "ae" and back.net.spec.output == "sigmoid" and back.net.spec.encoder_input.layout == "hw"
    z = np.random.default_rng(0).standard_normal((256, 2)).astype(np.float32) * 2
    assert np.abs(back.decode(z) - original.decode(z)).max() <= 1e-5
    # the map is the imported encoder's codes of the test images: the original's codes of the same images
    test = data.load("mnist", "test", images_dir)
    codes = original.encode(test.images[back.latents.index])
    assert len(codes) == 10_000 and np.abs(back.map("direct").xy - codes).max() <= 1e-4


def test_an_exported_bundle_imported_on_mnist_draws_the_shipped_bundles_own_map(exported_back):
    _, why = find_or_fetch()
    if why:  # images_dir is the stand-in: the imported map is of its images, the shipped one of MNIST's
        pytest.skip(f"the shipped map is of MNIST's test images; {why}")
    original, back = exported_back
    assert np.abs(back.map("direct").xy - original.map("direct").xy).max() <= 1e-4
    assert np.abs(back.map("direct").view_box()[1] - original.map("direct").view_box()[1]).max() <= 1e-3


def test_a_linear_conv_decoder_is_read_as_linear_from_what_it_rebuilds(conv_ae, conv_model, images_dir):
    enc, dec = conv_ae
    model = conv_model
    spec = model.net.spec
    assert spec.kind == "ae" and spec.encoder_input.layout == "chw" and spec.decoder_output.layout == "chw"
    assert spec.output == "linear"
    said = next(a for a in spec.assumed if "not a Sigmoid" in a)
    linear, logits = (float(v) for v in __import__("re").findall(r"MSE (\d\.\d+), against (\d\.\d+)", said)[0])
    assert linear < logits
    images = model.decode(model.latents.codes[:20])
    assert images.min() >= 0 and images.max() <= 1  # clipped for display
    assert "test_neg_elbo" not in model.metrics  # no Bernoulli outputs, no ELBO in nats
    forced = onnx_import.build_net(enc, dec, data.load("mnist", "test", images_dir), output="logits")
    assert forced.spec.output == "logits" and "as --output says" in forced.spec.assumed[-1]


def browser_parity(page, model, folder, maps):
    """The largest difference between the browser's decode and onnxruntime's, over N_POINTS per map."""
    serve_model(page, folder)
    worst = 0.0
    for method in maps:
        mp = model.map(method)
        points = random_points(mp, N_POINTS)
        expected = model.decode(mp.to_latent(points))  # onnxruntime, through the bundle's own session
        got = browser_decodes(page, method, points).reshape(expected.shape)
        worst = max(worst, float(np.abs(got - expected).max()))
    return worst


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_the_browser_decodes_imported_decoders_as_onnxruntime_does(imported, conv_model, tmp_path):
    mlp, conv = explorer.load_model(imported), conv_model
    layers = [[l["type"] for l in webexport.export(m)[0]["decoder"]] for m in (mlp, conv)]
    assert layers[0] == ["linear", "activation", "linear", "activation"]
    assert {"conv", "upsample", "conv_transpose", "affine"} <= set(layers[1]) and "BatchNorm" not in str(layers)
    with browser.chromium_page() as page:
        for model in (mlp, conv):
            folder = webexport.write(model, tmp_path / model.name, maps=["pca"])
            worst = browser_parity(page, model, folder, ["pca"])
            assert worst <= TOLERANCE, f"{model.name}: the browser differs from onnxruntime by {worst * 255:.2f}/255"


def test_a_decoder_with_other_operators_has_no_browser_form_and_says_why(images_dir):
    torch.manual_seed(0)
    dec = nn.Sequential(nn.Linear(2, 64), nn.GELU(), nn.Linear(64, 784), nn.Sigmoid())
    enc = nn.Sequential(nn.Flatten(), nn.Linear(784, 2))
    model = onnx_import.import_model(to_onnx(enc, torch.zeros(2, 28, 28), ["x"], ["z"]),
                                     to_onnx(dec, torch.zeros(2, 2), ["z"], ["y"]), "mnist", "gelu",
                                     data_dir=images_dir, tsne=False)
    with pytest.raises(onnx_browser.NoBrowserForm) as why:
        webexport.export(model)
    assert "Gelu" in str(why.value) or "Erf" in str(why.value)  # GELU exports as Gelu (opset 20) or Erf
    assert model.decode(np.zeros((1, 2), np.float32)).shape == (1, 28, 28)  # the server still decodes


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_in_the_app_a_click_on_an_imported_models_map_shows_onnxruntimes_image(examples_vae, imported, app_server):
    """The app opens the imported bundle from $EXPLORER_MODELS_DIR; a click on its PCA map draws
    the image that onnxruntime decodes for that point."""
    model = explorer.load_model(imported)
    dec = session(examples_vae[1])
    url, _ = app_server
    with browser.chromium_page() as page:
        browser.open_app(page, url, "model=examples-vae&map=pca", plotly=False)
        surface = page.locator("[data-latent-map]")
        surface.wait_for(timeout=60_000)
        assert surface.get_attribute("data-latent-map") == "examples-vae/pca"
        box = surface.bounding_box()
        deadline = time.time() + 30
        while page.locator("[data-preview]").count() == 0 and time.time() < deadline:  # the files are in
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + np.random.rand())
            time.sleep(0.2)
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
        time.sleep(0.3)
        got = page.evaluate("""() => {
            const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot &&
                e.shadowRoot.querySelector('canvas[data-spot]'));
            const c = (host ? host.shadowRoot : document).querySelector('canvas[data-spot]');
            const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
            return [c.dataset.spot, Array.from({length: 784}, (_, i) => d[4 * i])];
        }""")
        x, y = (float(v) for v in got[0].split(","))
        code = model.map("pca").to_latent(np.array([[x, y]], np.float32))
        expected = dec.run(None, {"z": code.astype(np.float32)})[0].reshape(784) * 255
        assert np.abs(np.array(got[1]) - expected).max() <= 2.0 + 0.5  # 2/255, and the canvas rounds
        assert page.locator("[data-testid='stException']").count() == 0
        page.get_by_text("imported from ONNX").first.wait_for(timeout=10_000)


def run_import(*args, cwd=ROOT):
    """The command, run in ``cwd`` (where a crafted file's external data would be looked for)."""
    return subprocess.run([sys.executable, "-m", "explorer.onnx.importer", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_the_import_command_writes_a_bundle_and_refuses_with_one_line(examples_vae, images_dir, tmp_path):
    enc, dec = examples_vae
    (tmp_path / "enc.onnx").write_bytes(enc)
    (tmp_path / "dec.onnx").write_bytes(dec)
    done = run_import("--encoder", tmp_path / "enc.onnx", "--decoder", tmp_path / "dec.onnx", "--data", "mnist",
                      "--out", tmp_path / "models" / "mine", "--skip-tsne", "--data-dir", images_dir)
    assert done.returncode == 0, done.stderr
    assert "imported a VAE with 20-number codes" in done.stdout and "as their names say" in done.stdout
    assert explorer.load_model(tmp_path / "models" / "mine").latent_dim == 20

def test_the_import_command_refuses_with_one_line_and_replaces_nothing(examples_vae, images_dir, tmp_path, capsys):
    enc, dec = examples_vae
    (tmp_path / "enc.onnx").write_bytes(enc)
    (tmp_path / "dec.onnx").write_bytes(dec)
    # a decoder given as the encoder: its input is a code, not an image
    status = onnx_import.main(["--encoder", str(tmp_path / "dec.onnx"), "--decoder", str(tmp_path / "dec.onnx"),
                               "--data", "mnist", "--out", str(tmp_path / "models" / "wrong"), "--data-dir", images_dir])
    err = capsys.readouterr().err
    assert status == 2 and "dec.onnx" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "models" / "wrong").exists()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("mine")
    status = onnx_import.main(["--encoder", str(tmp_path / "enc.onnx"), "--decoder", str(tmp_path / "dec.onnx"),
                               "--data", "mnist", "--out", str(tmp_path / "notes"), "--data-dir", images_dir])
    assert status == 2 and "not a bundle" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["mine.txt"]


def hostile_files(tmp_path, examples_vae):
    """name -> (encoder bytes, decoder bytes, what the message must say)."""
    from onnx import TensorProto

    enc, dec = examples_vae
    (tmp_path / "secret.txt").write_bytes(b"\0" * 3136)
    proto = onnx.load_from_string(dec)
    w = proto.graph.initializer[0]
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="secret.txt")
    external = proto.SerializeToString()
    custom = onnx.load_from_string(dec)
    custom.graph.node[0].domain = "com.example"
    custom.opset_import.add(domain="com.example", version=1)
    huge = onnx.load_from_string(dec)
    big = TensorProto(name="huge", data_type=TensorProto.FLOAT, dims=[2**18, 2**10])  # 1 GB declared, no bytes
    huge.graph.initializer.append(big)
    wide = nn.Sequential(nn.Linear(20, 32 * 32), nn.Sigmoid())
    enc32 = nn.Sequential(nn.Flatten(), nn.Linear(32 * 32, 20))
    return {
        "external data": (enc, external, "external data"),
        "custom domain": (enc, custom.SerializeToString(), "com.example"),
        "1 GB claim": (enc, huge.SerializeToString(), "20,000,000 parameters"),
        "wrong output shape": (enc, to_onnx(wide, torch.zeros(2, 20), ["z"], ["y"]), "1024"),
        "encoder for 32x32": (to_onnx(enc32, torch.zeros(2, 32, 32), ["x"], ["z"]), dec, "32"),
        "truncated": (enc[:len(enc) // 2], dec, "not an ONNX model"),
        "pickle": (__import__("pickle").dumps({"weights": [1, 2, 3]}), dec, "not an ONNX model"),
    }


def test_hostile_onnx_files_are_refused_by_name_and_nothing_is_written(examples_vae, images_dir, tmp_path,
                                                                     monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # where external data would be read from, and secret.txt lies
    for what, (enc, dec, says) in hostile_files(tmp_path, examples_vae).items():
        folder = tmp_path / what.replace(" ", "-")
        folder.mkdir()
        (folder / "encoder.onnx").write_bytes(enc)
        (folder / "decoder.onnx").write_bytes(dec)
        status = onnx_import.main(["--encoder", str(folder / "encoder.onnx"), "--decoder", str(folder / "decoder.onnx"),
                                   "--data", "mnist", "--out", str(folder / "bundle"), "--skip-tsne",
                                   "--data-dir", images_dir, "--threads", "1"])
        out = capsys.readouterr()
        line = out.err.strip()
        assert status == 2, (what, out)
        assert len(line.splitlines()) == 1 and says in line and ".onnx" in line, (what, line)
        assert not (folder / "bundle").exists() and out.out == "", what


def test_a_damaged_imported_bundle_fails_by_name_and_the_others_open(imported, tmp_path):
    import shutil

    from explorer.bundles import catalog

    broken = tmp_path / "broken"
    shutil.copytree(imported, broken)
    (broken / "decoder.onnx").write_bytes(b"not onnx at all")
    why = catalog.check(broken)
    assert why and "decoder.onnx" in why and "not an ONNX model" in why
    with pytest.raises(explorer.BundleError, match="decoder.onnx"):
        explorer.load_model(broken)
    assert explorer.load_model(imported).latent_dim == 20
    assert projection.available(20)[0] == "tsne"


# ---------------------------------------------------------------------------------------------
# Own images, in colour: coloured shapes at 32x32 with known factors (shape, colour, place, size)

SHAPE_NAMES = ("circle", "square", "triangle")
COLOURS = np.array([[230, 40, 40], [40, 200, 60], [50, 90, 240]])


def coloured_shapes(n, size=32, seed=0):
    """Images uint8 [n, size, size, 3] of one filled shape each, and the shape's class."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    images, labels = np.zeros((n, size, size, 3), np.uint8), rng.integers(0, 3, n)
    for i in range(n):
        r = rng.uniform(size / 6.4, size / 3.2)
        cx, cy = rng.uniform(r, size - r, 2)
        if labels[i] == 0:
            inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        elif labels[i] == 1:
            inside = (abs(xx - cx) <= 0.85 * r) & (abs(yy - cy) <= 0.85 * r)
        else:
            inside = (yy >= cy - r) & (yy <= cy + r) & (abs(xx - cx) <= (yy - (cy - r)) / 2)
        images[i][inside] = COLOURS[rng.integers(0, 3)]
    return images, labels


class ColourVAE(nn.Module):
    """A small conv VAE on [N, 3, 32, 32], the layout PyTorch users write."""

    def __init__(self, k=2):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),
                                  nn.Flatten())
        self.mean, self.log_var = nn.Linear(2048, k), nn.Linear(2048, k)
        self.decoder = nn.Sequential(nn.Linear(k, 2048), nn.ReLU(), nn.Unflatten(1, (32, 8, 8)),
                                     nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),
                                     nn.ConvTranspose2d(16, 3, 4, 2, 1), nn.Sigmoid())

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), self.log_var(h)


@pytest.fixture(scope="module")
def colour_vae(tmp_path_factory):
    """(npz path, encoder bytes, decoder bytes): 2,000 shapes, a conv VAE trained 3 epochs on them."""
    folder = tmp_path_factory.mktemp("shapes")
    images, labels = coloured_shapes(2000)
    np.savez(folder / "shapes.npz", images=images, labels=labels, class_names=np.array(SHAPE_NAMES))
    torch.manual_seed(0)
    vae = ColourVAE()
    opt = torch.optim.Adam(vae.parameters(), lr=2e-3)
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    for _ in range(3):
        for x in x_all[torch.randperm(len(x_all))].split(64):
            mean, log_var = vae(x)
            z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
            kl = -0.5 * torch.sum(1 + log_var - mean ** 2 - log_var.exp())
            loss = (F.binary_cross_entropy(vae.decoder(z), x, reduction="sum") + kl) / len(x)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return (folder / "shapes.npz", to_onnx(vae, torch.zeros(2, 3, 32, 32), ["image"], ["mean", "log_var"]),
            to_onnx(vae.decoder, torch.zeros(2, 2), ["z"], ["image"]))


@pytest.fixture(scope="module")
def colour_bundle(colour_vae, tmp_path_factory):
    npz, enc, dec = colour_vae
    model = onnx_import.import_model(enc, dec, str(npz), "shapes-vae", tsne=False)
    folder = tmp_path_factory.mktemp("colour-models") / "shapes-vae"
    bundle.save(model, folder, model.config, model.latents, images=model.images())
    return folder


def test_a_colour_vae_on_own_images_imports_with_its_images_and_onnxruntimes_codes(colour_vae, colour_bundle):
    npz, enc, dec = colour_vae
    model = explorer.load_model(colour_bundle)
    images = np.load(npz)["images"]
    assert model.own_data and model.image_shape == (32, 32, 3) and model.class_names == list(SHAPE_NAMES)
    assert model.config["dataset"] == "own" and model.config["data"]["n"] == 2000
    np.testing.assert_array_equal(model.images(), images)  # the bundle keeps the images it maps
    mean, log_var = session(enc).run(None, {"image": images.transpose(0, 3, 1, 2).astype(np.float32) / 255})
    np.testing.assert_allclose(model.latents.codes, mean, atol=1e-5)  # batches of 2,048: float sums in another order
    recon = session(dec).run(None, {"z": mean})[0].transpose(0, 2, 3, 1)  # [N, 3, H, W] -> [N, H, W, 3]
    np.testing.assert_allclose(model.decode(mean[:20]), recon[:20], atol=1e-6)
    x = images.astype(np.float32) / 255
    assert model.metrics["test_mse"] == pytest.approx(((recon - x) ** 2).mean(), abs=2e-6)
    kl = 0.5 * (mean ** 2 + np.exp(log_var) - 1 - log_var).sum(1).mean()
    assert model.metrics["test_kl"] == pytest.approx(kl, rel=1e-4)
    assert "pca_test_mse" not in model.metrics  # no training split of its own images: no PCA reference
    assert model.map("direct").xy.shape == (2000, 2)


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_the_browser_decodes_a_colour_decoder_as_onnxruntime_does(colour_bundle, tmp_path):
    model = explorer.load_model(colour_bundle)
    manifest, _ = webexport.export(model, maps=["direct"])
    assert manifest["image"] == [32, 32, 3] and manifest["decoder"][-1]["type"] == "transpose"
    with browser.chromium_page() as page:
        folder = webexport.write(model, tmp_path / "shapes", maps=["direct", "pca"])
        worst = browser_parity(page, model, folder, ["direct", "pca"])
    assert worst <= TOLERANCE, f"the browser differs from onnxruntime by {worst * 255:.2f}/255"


class SizedVAE(nn.Module):
    """A conv VAE on [N, 3, 64, 64]: the largest images the app promises, in colour."""

    def __init__(self, k=2):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 4, 4), nn.ReLU(), nn.Conv2d(8, 16, 4, 4), nn.ReLU(), nn.Flatten())
        self.mean, self.log_var = nn.Linear(256, k), nn.Linear(256, k)
        self.decoder = nn.Sequential(nn.Linear(k, 256), nn.ReLU(), nn.Unflatten(1, (16, 4, 4)),
                                     nn.ConvTranspose2d(16, 8, 4, 4), nn.ReLU(),
                                     nn.ConvTranspose2d(8, 3, 4, 4), nn.Sigmoid())

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), self.log_var(h)


def train_briefly(encode, decoder, x_all, epochs):
    """A few epochs of a VAE (``encode`` gives mean and log-variance) or an AE (one code)."""
    params = [p for m in (encode, decoder) for p in m.parameters()]
    opt = torch.optim.Adam(dict.fromkeys(params), lr=3e-3)
    for _ in range(epochs):
        for x in x_all[torch.randperm(len(x_all))].split(64):
            out = encode(x)
            if isinstance(out, tuple):
                mean, log_var = out
                z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
                extra = -0.5 * torch.sum(1 + log_var - mean ** 2 - log_var.exp())
            else:
                z, extra = out, 0.0
            loss = (F.binary_cross_entropy(decoder(z), x, reduction="sum") + extra) / len(x)
            opt.zero_grad()
            loss.backward()
            opt.step()


@pytest.fixture(scope="module")
def sized_bundles(colour_bundle, tmp_path_factory):
    """Beside the 32x32 colour VAE, the two ends of the range of sizes: scikit-learn's 8x8 grey
    digits under a flat MLP autoencoder, and 64x64 coloured shapes under a conv VAE. Returns
    {name: (image shape, decoder bytes, decoder input name, how its output becomes [H, W, C])}."""
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("sized")
    digits = load_digits()
    images8 = np.round(digits.images * (255 / 16)).astype(np.uint8)  # 0-16 levels to 0-255
    np.savez(folder / "digits8.npz", images=images8, labels=digits.target)
    enc8 = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 2))
    dec8 = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid())
    train_briefly(enc8, dec8, torch.from_numpy(images8.reshape(-1, 64).astype(np.float32) / 255), 30)
    images64, labels64 = coloured_shapes(600, size=64, seed=1)
    np.savez(folder / "shapes64.npz", images=images64, labels=labels64, class_names=np.array(SHAPE_NAMES))
    vae64 = SizedVAE()
    train_briefly(vae64, vae64.decoder, torch.from_numpy(images64).permute(0, 3, 1, 2).float() / 255, 4)
    made = {"digits-8": ((8, 8, 1), to_onnx(enc8, torch.zeros(2, 64), ["x"], ["code"]),
                         to_onnx(dec8, torch.zeros(2, 2), ["z"], ["x"]), folder / "digits8.npz",
                         lambda y: y.reshape(8, 8, 1)),
            "shapes-64": ((64, 64, 3), to_onnx(vae64, torch.zeros(2, 3, 64, 64), ["image"], ["mean", "log_var"]),
                          to_onnx(vae64.decoder, torch.zeros(2, 2), ["z"], ["image"]), folder / "shapes64.npz",
                          lambda y: y.transpose(1, 2, 0))}
    out = {"shapes-vae": ((32, 32, 3), None, None, None, lambda y: y.transpose(1, 2, 0))}
    for name, (shape, enc, dec, npz, to_hwc) in made.items():
        model = onnx_import.import_model(enc, dec, str(npz), name, tsne=False)
        bundle.save(model, colour_bundle.parent / name, model.config, model.latents, images=model.images())
        out[name] = (shape, enc, dec, npz, to_hwc)
    return out


@pytest.fixture(scope="module")
def app_server(imported, sized_bundles, colour_bundle, images_dir, tmp_path_factory):
    """One app server for this file's browser tests: the imported bundles in two models folders
    (MNIST's, and those of their own images), and an import folder of its own, not yet made.
    Yields (url, import folder)."""
    folder = tmp_path_factory.mktemp("panel") / "imported"
    env = {"EXPLORER_DATA_DIR": images_dir, "EXPLORER_IMPORT_DIR": str(folder),
           "EXPLORER_MODELS_DIR": os.pathsep.join([str(imported.parent), str(colour_bundle.parent)])}
    with browser.streamlit_server(env) as url:
        yield url, folder


def spot_pixels(page) -> tuple[list[float], np.ndarray]:
    """The clicked spot's picture on the map: its data-spot (x, y), size, and RGBA pixels."""
    spot, pixels = page.evaluate("""() => {
        const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot &&
            e.shadowRoot.querySelector('canvas[data-spot]'));
        const c = (host ? host.shadowRoot : document).querySelector('canvas[data-spot]');
        return [c.dataset.spot + "," + c.width + "," + c.height,
                Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)];
    }""")
    x, y, w, h = (float(v) for v in spot.split(","))
    return [x, y, w, h], np.array(pixels, np.float32).reshape(int(h), int(w), 4)


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
@pytest.mark.parametrize("name", ["digits-8", "shapes-vae", "shapes-64"])
def test_in_the_app_a_click_shows_onnxruntimes_image_at_every_size_grey_or_colour(
        name, sized_bundles, app_server, colour_vae, colour_bundle):
    shape, _, dec_bytes, _, to_hwc = sized_bundles[name]
    dec = session(dec_bytes if dec_bytes is not None else colour_vae[2])
    model = explorer.load_model(colour_bundle.parent / name)
    with browser.chromium_page() as page:
        browser.open_app(page, app_server[0], f"model={name}", plotly=False)
        surface = page.locator("[data-latent-map]")
        surface.wait_for(timeout=60_000)
        box = surface.bounding_box()
        deadline = time.time() + 30
        while page.locator("[data-preview]").count() == 0 and time.time() < deadline:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + np.random.rand())
            time.sleep(0.2)
        page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45)
        time.sleep(0.3)
        (x, y, w, h), got = spot_pixels(page)
        assert (h, w) == shape[:2]
        code = model.map("direct").to_latent(np.array([[x, y]], np.float32))
        expected = to_hwc(dec.run(None, {"z": code.astype(np.float32)})[0][0]) * 255
        got = got[..., :3] if shape[2] == 3 else got[..., :1]
        assert np.abs(got - expected).max() <= 2.5  # 2/255, and the canvas rounds
        if shape[2] == 3:
            assert np.abs(got[..., 0] - got[..., 2]).max() > 0 or expected.std() < 1  # colour, not grey
        page.get_by_text("Not for this model").first.wait_for(timeout=10_000)  # the draw pad says why it is off
        browser.wait_idle(page)
        main = page.locator("[data-testid='stMain']")
        assert page.locator("[data-testid='stException']").count() == 0
        assert "Traceback" not in main.inner_text()
        # the server's pictures (the clicked image, its neighbours, the decoded grid) are drawn
        widths = page.locator("figure img").evaluate_all("(imgs) => imgs.map((i) => i.naturalWidth)")
        assert widths and all(w > 0 for w in widths), widths


def test_own_images_are_read_from_npz_or_folders_and_bad_ones_refused_by_name(tmp_path):
    from PIL import Image

    from explorer.data import owndata

    images, labels = coloured_shapes(12, size=16)
    for c in range(3):
        (tmp_path / "pics" / SHAPE_NAMES[c]).mkdir(parents=True)
    for i, (im, c) in enumerate(zip(images, labels)):
        Image.fromarray(im).save(tmp_path / "pics" / SHAPE_NAMES[c] / f"{i}.png")
    got = owndata.read(tmp_path / "pics")
    assert got.image == (16, 16, 3) and got.class_names == SHAPE_NAMES and len(got.images) == 12
    assert sorted(map(tuple, got.images.reshape(12, -1))) == sorted(map(tuple, images.reshape(12, -1)))
    for bad, write in (("big.png", lambda f: Image.new("RGB", (300, 300)).save(f)),  # over 128 a side
                       ("notes.png", lambda f: f.write_bytes(b"not a picture at all"))):
        (tmp_path / "bad" / "a").mkdir(parents=True, exist_ok=True)
        write(tmp_path / "bad" / "a" / bad)
        with pytest.raises(data.DataError) as e:
            owndata.read(tmp_path / "bad")
        assert bad in str(e.value) and ("300x300" in str(e.value) or "not a picture" in str(e.value)), str(e.value)
        (tmp_path / "bad" / "a" / bad).unlink()
    grey = (images.mean(3) / 255).astype(np.float32)
    np.savez(tmp_path / "grey.npz", images=grey)
    g = owndata.read(tmp_path / "grey.npz")
    assert g.image == (16, 16, 1) and g.class_names == ("image",) and g.images.dtype == np.uint8
    np.savez(tmp_path / "objects.npz", images=np.array([{"a": 1}] * 12, dtype=object))
    np.savez(tmp_path / "nchw.npz", images=images.transpose(0, 3, 1, 2))
    np.savez(tmp_path / "range.npz", images=grey * 3)
    np.savez(tmp_path / "tiny.npz", images=np.zeros((12, 4, 4), np.uint8))
    np.savez(tmp_path / "nothing.npz", pictures=images)
    header = b"\x93NUMPY\x01\x00" + b"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }".ljust(117) + b"\n"
    with __import__("zipfile").ZipFile(tmp_path / "declared.npz", "w") as z:  # 1 TiB declared in a few bytes
        z.writestr("images.npy", header)
    (tmp_path / "fake.npz").write_bytes(b"PK not a zip")
    for name, says in (("objects", "Python objects"), ("nchw", "[N, H, W, C]"), ("range", "from 0 to 1"),
                       ("tiny", "4x4"), ("nothing", "'images'"), ("fake", "not a readable .npz"),
                       ("declared", "declare")):
        with pytest.raises(data.DataError, match=None) as e:
            owndata.read(tmp_path / f"{name}.npz")
        assert says in str(e.value) and f"{name}.npz" in str(e.value), (name, str(e.value))


def test_bundle_from_torch_takes_the_lecture_notebooks_autoencoder_to_a_bundle_in_one_call(images_dir, tmp_path):
    """The lecture notebook's 784-500-300-2 autoencoder, trained on flat images, to the app."""
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 300), nn.ReLU(), nn.Linear(300, 2))
    decoder = nn.Sequential(nn.Linear(2, 300), nn.ReLU(), nn.Linear(300, 500), nn.ReLU(), nn.Linear(500, 784))
    opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
    for x in train_images(images_dir, 6400).view(-1, 784).split(64):
        loss = F.mse_loss(decoder(encoder(x)), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    test = data.load("mnist", "test", images_dir)
    x_test = torch.from_numpy(test.images[:2000].reshape(-1, 784).astype(np.float32) / 255)
    folder = explorer.bundle_from_torch(encoder, decoder, x_test, test.labels[:2000], out=tmp_path / "lecture-ae",
                                        tsne=False)
    model = explorer.load_model(folder)
    assert model.image_shape == (28, 28, 1) and model.kind == "ae" and model.latent_dim == 2
    assert model.net.spec.output == "linear"  # the notebook's decoder ends in a Dense layer: measured, not a Sigmoid
    with torch.no_grad():
        np.testing.assert_allclose(model.latents.codes, encoder(x_test).numpy(), atol=1e-5)
        np.testing.assert_allclose(model.decode(model.latents.codes[:10]),
                                   decoder(encoder(x_test[:10])).clamp(0, 1).numpy().reshape(-1, 28, 28), atol=1e-5)
    np.testing.assert_array_equal(model.images(), test.images[:2000])
    assert model.class_names == [str(d) for d in range(10)] and encoder.training  # the modules are left as they were


KERAS_SCRIPT = """
import os, sys
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, keras
out, images = sys.argv[1], np.load(sys.argv[2])
keras.utils.set_random_seed(0)
x = keras.Input((784,))
h = keras.layers.Dense(300, activation="relu")(keras.layers.Dense(500, activation="relu")(x))
encoder = keras.Model(x, keras.layers.Dense(2)(h))
z = keras.Input((2,))
h = keras.layers.Dense(500, activation="relu")(keras.layers.Dense(300, activation="relu")(z))
decoder = keras.Model(z, keras.layers.Dense(784)(h))  # the notebook's: no activation, trained with MSE
autoencoder = keras.Model(x, decoder(encoder(x)))
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit(images, images, epochs=1, batch_size=64, verbose=0)
encoder.export(out + "/encoder.onnx", format="onnx")
decoder.export(out + "/decoder.onnx", format="onnx")
np.save(out + "/codes.npy", np.asarray(encoder.predict(images[:500], verbose=0)))
"""


@pytest.mark.slow  # Keras is imported and trains in its own process: half a minute of a core
def test_the_lecture_notebooks_keras_autoencoder_imports_from_its_own_onnx_export(images_dir, tmp_path):
    import importlib.util

    if importlib.util.find_spec("keras") is None:  # not imported here: it needs KERAS_BACKEND before
        pytest.skip("keras is not installed (requirements-dev.txt installs it)")
    x = train_images(images_dir, 4000).view(-1, 784).numpy()
    np.save(tmp_path / "images.npy", x)
    made = subprocess.run([sys.executable, "-c", KERAS_SCRIPT, str(tmp_path), str(tmp_path / "images.npy")],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "KERAS_BACKEND": "torch"})
    assert made.returncode == 0, made.stderr[-2000:]
    enc, dec = ((tmp_path / f).read_bytes() for f in ("encoder.onnx", "decoder.onnx"))
    model = onnx_import.import_model(enc, dec, "mnist", "keras-ae", data_dir=images_dir, tsne=False)
    spec = model.net.spec
    assert spec.kind == "ae" and spec.encoder_input.layout == "flat" and spec.output == "linear"
    np.testing.assert_allclose(model.encode(x[:500].reshape(-1, 28, 28)), np.load(tmp_path / "codes.npy"), atol=1e-4)
    assert [l["type"] for l in webexport.export(model, maps=["direct"])[0]["decoder"]].count("linear") == 3


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_the_apps_import_panel_opens_an_imported_model_and_shows_a_refusal_keeping_the_rest(
        examples_vae, app_server, tmp_path):
    """Two ONNX files uploaded in the sidebar: the model is imported into the server's folder and
    opened; a pickle renamed .onnx is refused with its message and the page keeps its model."""
    for name, content in (("enc.onnx", examples_vae[0]), ("dec.onnx", examples_vae[1]),
                          ("pickle.onnx", __import__("pickle").dumps({"weights": [1, 2, 3]}))):
        (tmp_path / name).write_bytes(content)
    url, folder = app_server

    def upload(page, encoder, decoder, name):
        files = page.locator("[data-testid='stSidebar'] input[type='file']")
        files.nth(0).set_input_files(str(encoder))
        files.nth(1).set_input_files(str(decoder))
        browser.wait_idle(page)
        button = page.get_by_role("button", name="Import", exact=True)
        for _ in range(3):  # a name typed while the page re-renders from the uploads can be lost: type it again
            page.get_by_label("Name", exact=True).fill(name)
            page.keyboard.press("Enter")
            browser.wait_idle(page)
            try:
                button.wait_for(state="visible", timeout=10_000)
                page.wait_for_function("(b) => !b.disabled", arg=button.element_handle(), timeout=10_000)
                break
            except Exception:  # noqa: BLE001 - still disabled: the name did not arrive
                continue
        button.click()

    def shown_map(page):
        return browser.attribute(page, "[data-latent-map]", "data-latent-map")

    with browser.chromium_page() as page:
        browser.open_app(page, url, "model=mnist-vae-2d", plotly=False)
        page.get_by_text("Import a model (ONNX)").click()
        upload(page, tmp_path / "enc.onnx", tmp_path / "dec.onnx", "examples")
        deadline = time.time() + 120
        while shown_map(page) != "examples/pca" and time.time() < deadline:
            time.sleep(0.5)
        assert shown_map(page) == "examples/pca"
        assert explorer.load_model(folder / "examples").latent_dim == 20
        page.get_by_text("Imported examples").first.wait_for(timeout=10_000)
        if not page.locator("[data-testid='stSidebar'] input[type='file']").count():
            page.get_by_text("Import a model (ONNX)").click()
        upload(page, tmp_path / "pickle.onnx", tmp_path / "dec.onnx", "bad")
        page.get_by_text("not an ONNX model").first.wait_for(timeout=60_000)
        assert shown_map(page) == "examples/pca"  # nothing already loaded was lost
        assert sorted(p.name for p in folder.iterdir()) == ["examples"]  # and nothing half-written
        assert page.locator("[data-testid='stException']").count() == 0


def test_nearest_resizing_reads_the_pixels_onnxruntime_reads_in_every_mode():
    """Each coordinate transformation and rounding of Resize (nearest), factors 2, 3 and 1.5 and
    sizes given, against onnxruntime itself on a numbered image."""
    from onnx import TensorProto, helper

    from explorer.onnx.browser import _nearest

    x = np.arange(5 * 7, dtype=np.float32).reshape(1, 1, 5, 7)
    for ctm in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                "half_pixel_symmetric"):
        for rounding in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
            for scale in (2.0, 3.0, 1.5):
                node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest",
                                        coordinate_transformation_mode=ctm, nearest_mode=rounding)
                graph = helper.make_graph([node], "r", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                                          [helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, scale, scale])])
                model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
                y = session(model.SerializeToString()).run(None, {"x": x})[0][0, 0]
                rows = _nearest(5, y.shape[0], scale, ctm, rounding)
                cols = _nearest(7, y.shape[1], scale, ctm, rounding)
                np.testing.assert_array_equal(x[0, 0][rows][:, cols], y, err_msg=f"{ctm} {rounding} x{scale}")


def test_nodes_no_output_needs_are_never_run_or_folded(examples_vae):
    """A Range of 200 million numbers that nothing uses (8 GB in onnxruntime, which runs every
    node): left out of the session and of the browser's translation."""
    from onnx import TensorProto, helper

    from explorer.onnx import safety as onnx_safety

    proto = onnx.load_from_string(examples_vae[1])
    for name, value in (("start", 0), ("limit", 200_000_000), ("delta", 1)):
        proto.graph.initializer.append(helper.make_tensor(name, TensorProto.INT64, [], [value]))
    proto.graph.node.append(helper.make_node("Range", ["start", "limit", "delta"], ["unused"]))
    live = onnx_safety.without_dead_nodes(proto)
    assert "Range" not in [n.op_type for n in live.graph.node]
    assert len(live.graph.node) == len(proto.graph.node) - 1
    assert onnx_safety.without_dead_nodes(live) is live  # nothing more to leave out
    layers = onnx_browser.layers(proto, 20, webexport.Arrays().add)
    assert [l["type"] for l in layers] == ["linear", "activation", "linear", "activation"]


def test_a_tampered_imported_bundle_fails_to_open_by_name(imported, tmp_path):
    import json
    import shutil

    cases = {}
    swapped = tmp_path / "swapped"  # another decoder of the same shape in place of the one imported
    shutil.copytree(imported, swapped)
    torch.manual_seed(1)
    (swapped / "decoder.onnx").write_bytes(to_onnx(nn.Sequential(nn.Linear(20, 784), nn.Sigmoid()),
                                                   torch.zeros(2, 20), ["z"], ["recon"]))
    cases[swapped] = "not the file this bundle was imported with"
    relaid = tmp_path / "relaid"  # the spec no longer what the graph takes
    shutil.copytree(imported, relaid)
    config = json.loads((relaid / "config.json").read_text())
    config["onnx"]["encoder_input"]["layout"] = "chw"
    (relaid / "config.json").write_text(json.dumps(config))
    cases[relaid] = "encoder.onnx: fails when run"
    for folder, says in cases.items():
        with pytest.raises(explorer.BundleError) as e:
            explorer.load_model(folder)
        assert says in str(e.value) and str(folder) in str(e.value)


def test_onnxruntime_optimises_only_graphs_whose_foldable_tensors_are_known_small(conv_ae):
    """Optimising (3x faster on a conv graph) folds constants at load: allowed where every tensor
    that could be folded has a shape known to be small; a few bytes declaring 10 GB are not."""
    from onnx import TensorProto, helper

    from explorer.onnx import safety as onnx_safety

    assert all(onnx_safety.foldable_is_small(onnx.load_from_string(b)) for b in conv_ae)

    def graph(nodes, inits):
        g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])

    big = graph([helper.make_node("ConstantOfShape", ["s"], ["c"]), helper.make_node("ReduceSum", ["c"], ["r"]),
                 helper.make_node("Add", ["x", "r"], ["y"])],
                [helper.make_tensor("s", TensorProto.INT64, [2], [50_000, 50_000])])
    ranged = graph([helper.make_node("Range", ["a", "b", "d"], ["c"]), helper.make_node("Cast", ["c"], ["f"], to=1),
                    helper.make_node("ReduceSum", ["f"], ["r"]), helper.make_node("Add", ["x", "r"], ["y"])],
                   [helper.make_tensor(n, TensorProto.INT64, [], [v]) for n, v in (("a", 0), ("b", 10**9), ("d", 1))])
    small = graph([helper.make_node("ConstantOfShape", ["s"], ["c"]), helper.make_node("Add", ["x", "c"], ["y"])],
                  [helper.make_tensor("s", TensorProto.INT64, [2], [1, 2])])
    assert not onnx_safety.foldable_is_small(big) and not onnx_safety.foldable_is_small(ranged)
    assert onnx_safety.foldable_is_small(small)
    for model in (big, ranged):  # and the session still opens at once, unoptimised (nothing folded)
        start = time.perf_counter()
        onnx_safety.session(model.SerializeToString(), "bomb.onnx")
        assert time.perf_counter() - start < 5


def test_more_images_than_a_layout_takes_import_with_their_direct_and_pca_maps(exported_back, images_dir, tmp_path,
                                                                                monkeypatch):
    """An .npz of more images than a t-SNE layout takes (projection.MAX_LAYOUT_POINTS: 100,000, here
    made 1,000 so 3,000 images stand for a million) imports with every image on its direct and PCA
    maps; t-SNE is neither stored nor offered, and opening it says why; images too many for the
    browser (map_component.BROWSER_IMAGE_BYTES, here 1 MB) stay on the server."""
    from explorer.bundles import catalog as catalog_lib
    from explorer.maps import base
    from explorer.teaching import state
    from ui import map_component

    monkeypatch.setattr(base, "MAX_LAYOUT_POINTS", 1000)
    monkeypatch.setattr(map_component, "BROWSER_IMAGE_BYTES", 2**20)
    test = data.load("mnist", "test", images_dir)
    np.savez(tmp_path / "mine.npz", images=test.images[:3000], labels=test.labels[:3000])
    files = onnx_export.export(exported_back[0])
    model = onnx_import.import_model(files["encoder.onnx"], files["decoder.onnx"], str(tmp_path / "mine.npz"), "mine",
                                     tsne=True)
    assert "tsne" not in model.latents.maps and model.config.get("maps") == {}
    bundle.save(model, tmp_path / "models" / "mine", model.config, model.latents, images=model.images())
    mine = explorer.load_model(tmp_path / "models" / "mine")
    assert len(mine.latents.codes) == 3000 and mine.available_maps() == ["direct", "pca"]
    assert np.array_equal(mine.images(), test.images[:3000])
    assert len(mine.map("pca").xy) == 3000 and len(mine.map("direct").xy) == 3000
    with pytest.raises(ValueError, match=r"at most 1,000 codes and this model has 3,000"):
        mine.map("tsne")
    assert not map_component.sends_images(mine.images())
    assert map_component.images_url("bundle:mine", mine.images()) is None
    # a link asking for its t-SNE opens its plane and says so
    found = catalog_lib.BundleCatalog.from_dirs([tmp_path / "models"], "mine")
    parsed = state.from_query({"model": "mine", "map": "tsne"}, found)
    assert parsed.state.map == "direct" and any("tsne" in note for note in parsed.ignored), parsed.ignored
    monkeypatch.setattr(base, "MAX_LAYOUT_POINTS", 100_000)
    assert mine.available_maps() == ["direct", "pca", "tsne"]  # (as MNIST-sized sets are)
