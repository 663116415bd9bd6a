"""Importing a stranger's autoencoder from ONNX (issue 17): models trained here with plain
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
from explorer import bundle, data, onnx_browser, onnx_export, onnx_import, projection, webexport

from . import browser
from .conftest import ROOT
from .test_webexport import random_points, serve_model

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
    LeakyReLU, ending in a plain linear output trained with squared error (no sigmoid)."""

    def __init__(self, k=8):
        super().__init__()
        self.fc = nn.Linear(k, 32 * 7 * 7)
        self.net = nn.Sequential(
            nn.BatchNorm2d(32), nn.LeakyReLU(0.2), nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(32, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ELU(), nn.Upsample(scale_factor=2),
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
    """A conv autoencoder with a linear (MSE) output, 200 steps, as two ONNX files."""
    torch.manual_seed(0)
    enc, dec = ConvEncoder(), ConvDecoder()
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=2e-3)
    x_all = train_images(images_dir, 6400).view(-1, 1, 28, 28)
    for x in x_all.split(64):
        loss = F.mse_loss(dec(enc(x)), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (to_onnx(enc, torch.zeros(2, 1, 28, 28), ["image"], ["code"]),
            to_onnx(dec, torch.zeros(2, 8), ["code"], ["image"]))


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
    np.testing.assert_array_equal(model.latents.codes, mu)
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


def test_an_exported_bundle_imports_back_with_the_same_decodes_and_map(tmp_path, images_dir):
    original = explorer.load_model("mnist-ae-2d")
    files = onnx_export.export(original)
    back = onnx_import.import_model(files["encoder.onnx"], files["decoder.onnx"], "mnist", "back",
                                    data_dir=images_dir, tsne=False)
    assert back.kind == "ae" and back.net.spec.output == "sigmoid" and back.net.spec.encoder_input.layout == "hw"
    z = np.random.default_rng(0).standard_normal((256, 2)).astype(np.float32) * 2
    assert np.abs(back.decode(z) - original.decode(z)).max() <= 1e-5
    assert np.abs(back.map("direct").xy - original.map("direct").xy).max() <= 1e-4
    assert np.abs(back.map("direct").view_box()[1] - original.map("direct").view_box()[1]).max() <= 1e-3


def test_a_linear_conv_decoder_is_read_as_linear_from_what_it_rebuilds(conv_ae, images_dir):
    enc, dec = conv_ae
    model = onnx_import.import_model(enc, dec, "mnist", "conv", data_dir=images_dir, tsne=False)
    spec = model.net.spec
    assert spec.kind == "ae" and spec.encoder_input.layout == "chw" and spec.decoder_output.layout == "chw"
    assert spec.output == "linear"
    said = next(a for a in spec.assumed if "not a Sigmoid" in a)
    linear, logits = (float(v) for v in __import__("re").findall(r"MSE (\d\.\d+), against (\d\.\d+)", said)[0])
    assert linear < logits
    images = model.decode(model.latents.codes[:20])
    assert images.min() >= 0 and images.max() <= 1  # clipped for display
    assert "test_neg_elbo" not in model.metrics  # no Bernoulli outputs, no ELBO in nats
    forced = onnx_import.import_model(enc, dec, "mnist", "conv", data_dir=images_dir, tsne=False, output="logits")
    assert forced.net.spec.output == "logits" and "as --output says" in forced.net.spec.assumed[-1]


def browser_parity(page, model, folder, maps):
    """The largest difference between the browser's decode and onnxruntime's, over N_POINTS per map."""
    serve_model(page, folder)
    worst = 0.0
    for method in maps:
        mp = model.map(method)
        points = random_points(mp, N_POINTS)
        expected = model.decode(mp.to_latent(points))  # onnxruntime, through the bundle's own session
        got = np.array(page.evaluate("""([name, points]) => points.map(([x, y]) =>
            Array.from(window.model.decode(window.model.toLatent(name, x, y))))""",
                                     [method, points.tolist()]), np.float32).reshape(expected.shape)
        worst = max(worst, float(np.abs(got - expected).max()))
    return worst


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_the_browser_decodes_imported_decoders_as_onnxruntime_does(imported, conv_ae, images_dir, tmp_path):
    mlp = explorer.load_model(imported)
    conv = onnx_import.import_model(*conv_ae, "mnist", "conv", data_dir=images_dir, tsne=False)
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
    why = webexport.browser_problem(model)
    assert why and ("Gelu" in why or "Erf" in why)  # GELU exports as Gelu (opset 20) or Erf
    with pytest.raises(onnx_browser.NoBrowserForm):
        webexport.export(model)
    assert model.decode(np.zeros((1, 2), np.float32)).shape == (1, 28, 28)  # the server still decodes


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_in_the_app_a_click_on_an_imported_models_map_shows_onnxruntimes_image(examples_vae, imported, images_dir):
    """The app opens the imported bundle from --models-dir; a click on its PCA map draws the image
    that onnxruntime decodes for that point."""
    model = explorer.load_model(imported)
    dec = session(examples_vae[1])
    with browser.streamlit_server({"EXPLORER_DATA_DIR": images_dir, "EXPLORER_MODELS_DIR": str(imported.parent)}) as url:
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
    return subprocess.run([sys.executable, "-m", "explorer.onnx_import", *map(str, args)], cwd=cwd,
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
    # a decoder given as the encoder: its input is a code, not an image
    wrong = run_import("--encoder", tmp_path / "dec.onnx", "--decoder", tmp_path / "dec.onnx", "--data", "mnist",
                       "--out", tmp_path / "models" / "wrong", "--data-dir", images_dir)
    assert wrong.returncode == 2 and "dec.onnx" in wrong.stderr and "Traceback" not in wrong.stderr
    assert not (tmp_path / "models" / "wrong").exists()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("mine")
    refused = run_import("--encoder", tmp_path / "enc.onnx", "--decoder", tmp_path / "dec.onnx", "--data", "mnist",
                         "--out", tmp_path / "notes", "--data-dir", images_dir)
    assert refused.returncode == 2 and "not a bundle" in refused.stderr
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

    from explorer import catalog

    broken = tmp_path / "broken"
    shutil.copytree(imported, broken)
    (broken / "decoder.onnx").write_bytes(b"not onnx at all")
    why = catalog.check(broken)
    assert why and "decoder.onnx" in why and "not an ONNX model" in why
    with pytest.raises(explorer.BundleError, match="decoder.onnx"):
        explorer.load_model(broken)
    assert explorer.load_model(imported).latent_dim == 20
    assert projection.available(20)[0] == "tsne"
