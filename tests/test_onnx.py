"""ONNX: our bundles exported as single-file ONNX that onnxruntime runs
like the library, and a stranger's ONNX file read as data: every way a file could make
onnxruntime read other files or load native code is refused first, with a message naming it."""

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import explorer
from explorer.onnx import exporter as onnx_export, safety as onnx_safety

from .conftest import ROOT


@pytest.mark.parametrize("name", ["mnist-ae-2d", "mnist-vae-2d", "mnist-conv-vae-16"])
def test_an_exported_bundle_runs_in_onnxruntime_as_the_library_does(name):
    model = explorer.load_model(name)
    files = onnx_export.export(model)
    assert sorted(files) == ["decoder.onnx", "encoder.onnx"]
    for data in files.values():
        proto = onnx_safety.check(data, "exported")  # self-contained: no external data, standard operators
        assert all(not t.external_data for t in proto.graph.initializer)
    assert onnx_export.largest_difference(model, files) <= onnx_export.TOLERANCE
    encoder, _ = onnx_safety.session(files["encoder.onnx"], "encoder.onnx")
    outputs = [o.name for o in encoder.get_outputs()]
    assert outputs == (["mean", "log_var"] if model.kind_info.has_posterior else ["code"])
    x = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)  # any batch size
    got = encoder.run(None, {"images": x})
    np.testing.assert_allclose(got[0], model.encode(x), atol=1e-5)
    if model.kind_info.has_posterior:
        np.testing.assert_allclose(got[1], model.posterior(x)[1], atol=1e-5)


def run_export(*args):
    return subprocess.run([sys.executable, "-m", "explorer.onnx.exporter", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_export_command_writes_two_files_and_replaces_nothing_else(tmp_path, capsys):
    done = run_export("mnist-ae-2", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["decoder.onnx", "encoder.onnx"]
    assert "matches mnist-ae-2 within" in done.stdout
    again = run_export("mnist-ae-2", "--out", tmp_path / "out")  # its own two files may be replaced
    assert again.returncode == 0, again.stderr

    def refused(*args) -> str:  # in this process: the command refuses before it exports anything
        assert onnx_export.main(list(map(str, args))) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err
        return err

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    assert "notes.txt" in refused("mnist-ae-2", "--out", tmp_path / "mine")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    (tmp_path / "afile").write_text("x")
    refused("mnist-ae-2", "--out", tmp_path / "afile")
    assert (tmp_path / "afile").read_text() == "x"
    assert "No bundle named" in refused("no-such-bundle", "--out", tmp_path / "new")
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------------------------
# A stranger's file

def tiny(nodes=None, initializers=(), opsets=(("", 17),), functions=()) -> onnx.ModelProto:
    """A valid model y = x + w (w a [2] initializer) unless told otherwise."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])
    w = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
    graph = helper.make_graph(nodes or [helper.make_node("Add", ["x", "w"], ["y"])], "g", [x], [y],
                              [w, *initializers])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
                             functions=list(functions), ir_version=9)


def external(name="w", location="secrets.toml") -> TensorProto:
    t = helper.make_tensor(name, TensorProto.FLOAT, [2], [0.0, 0.0])
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "8")):
        t.external_data.add(key=k, value=v)
    return t


def refused(model_or_bytes, *words):
    data = model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString()
    with pytest.raises(onnx_safety.OnnxError) as e:
        onnx_safety.session(data, "their-model.onnx")
    message = str(e.value)
    assert message.startswith("their-model.onnx: "), message
    for w in words:
        assert w in message, message
    return message


def test_a_plain_valid_model_runs():
    sess, _ = onnx_safety.session(tiny().SerializeToString(), "ok.onnx")
    np.testing.assert_array_equal(sess.run(None, {"x": np.zeros((1, 2), np.float32)})[0], [[1.0, 2.0]])


def test_external_data_is_refused_before_onnxruntime_opens_anything(tmp_path, monkeypatch):
    """A crafted model whose weights 'live' in a file under the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secrets.toml").write_bytes(b"password")
    model = tiny()
    model.graph.initializer[0].CopyFrom(external())
    refused(model, "'w'", "another file")
    # the same inside a Constant node's value, and inside an If's branch
    const = helper.make_node("Constant", [], ["w"], value=external("c"))
    refused(tiny(nodes=[const, helper.make_node("Add", ["x", "w"], ["y"])]), "another file")
    branch = helper.make_graph([helper.make_node("Constant", [], ["y"], value=external("b"))], "then", [],
                               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    cond = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=branch, else_branch=branch)
    refused(tiny(nodes=[node], initializers=[cond]), "subgraph of If", "another file")


def test_operators_outside_the_standard_domains_are_refused():
    custom = helper.make_node("Steal", ["x"], ["y"], domain="com.evil")
    refused(tiny(nodes=[custom], opsets=(("", 17), ("com.evil", 1))), "com.evil")
    refused(tiny(opsets=(("", 17), ("com.microsoft", 1))), "com.microsoft")


def test_bad_bytes_sizes_and_malformed_graphs_are_named(monkeypatch):
    refused(b"", "empty")
    refused(b"\x00\xff not a protobuf \xff" * 50, "not an ONNX model")
    refused(b"<html>hello</html>", "not an ONNX")
    broken = tiny(nodes=[helper.make_node("Add", ["x", "nowhere"], ["y"])])
    refused(broken, "malformed")
    monkeypatch.setattr(onnx_safety, "MAX_BYTES", 50)
    refused(tiny(), "MB")
    monkeypatch.setattr(onnx_safety, "MAX_BYTES", 200 * 2**20)
    monkeypatch.setattr(onnx_safety, "MAX_PARAMETERS", 1)
    refused(tiny(), "more than 1 parameters", "at most 1")


def test_training_graphs_and_declared_sizes_are_checked_too():
    """onnxruntime does not run a file's training graphs, but they are checked like the rest; a
    tensor that declares 2^80 numbers (and holds none) is counted, not allocated."""
    model = tiny()
    info = model.training_info.add()
    info.initialization.CopyFrom(helper.make_graph([helper.make_node("Constant", [], ["t"], value=external("t"))],
                                                   "init", [], []))
    refused(model, "training initialisation", "another file")
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**40, 2**40])  # no data at all
    model = tiny()
    model.graph.initializer[0].CopyFrom(huge)
    refused(model, "parameters")


def test_what_a_hostile_probe_found_is_refused():
    """Each a file made by a hostile probe of the import (bytes onnxruntime would read as its own ORT
    format; a 122-byte sparse Constant it would expand to 1 GB; 240 dimensions of 10^18 that made
    the count a 4,300-digit integer; a negative dimension in a training graph; external data in a
    function's default attribute)."""
    ort_mark = bytes([0x48, 0, 0x0D, 0]) + b"ORTM" + bytes(4)  # a root-table offset, then the format's mark
    refused(ort_mark + tiny().SerializeToString(), "ORT")
    sparse = helper.make_sparse_tensor(helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]),
                                       helper.make_tensor("i", TensorProto.INT64, [1], [0]), [16000, 16000])
    const = helper.make_node("Constant", [], ["c"], sparse_value=sparse)
    refused(tiny(nodes=[const, helper.make_node("Add", ["x", "w"], ["y"])]), "parameters")
    deep = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[10**18] * 240)
    model = tiny()
    model.graph.initializer[0].CopyFrom(deep)
    refused(model, "240 dimensions")
    model = tiny()
    info = model.training_info.add()
    info.initialization.CopyFrom(helper.make_graph([], "init", [], [],
                                                   [TensorProto(name="n", data_type=TensorProto.FLOAT, dims=[-5])]))
    refused(model, "negative dimension")
    f = helper.make_function("local", "F", ["a"], ["b"], [helper.make_node("Identity", ["a"], ["b"])],
                             [helper.make_opsetid("", 17)])
    f.attribute_proto.add().CopyFrom(helper.make_attribute("c", external("c")))
    refused(tiny(opsets=(("", 17), ("local", 1)), functions=[f]), "local")  # its domain is refused first
    f.domain = ""
    refused(tiny(functions=[f]), "function 'F'", "another file")
