"""ONNX files from strangers, read as data (issue 17): checked with ``onnx`` before onnxruntime
ever sees them, and sessions made from bytes.

A model file is refused, with a message naming it and the reason, when

- it is larger than ``MAX_BYTES`` or holds more than ``MAX_PARAMETERS`` numbers;
- it does not parse as an ONNX model, or ``onnx.checker`` finds it malformed;
- any tensor (an initializer, a Constant's value, a sparse tensor, in the main graph or in any
  subgraph of If, Loop or Scan, or in a function) says its data lives outside the file
  (``data_location == EXTERNAL`` or ``external_data`` entries): onnxruntime, even from bytes,
  reads such paths under the working directory (measured, ../shared/FACTS.md), so a crafted
  model could hand back the bytes of ``.streamlit/secrets.toml``;
- any operator, opset import or function belongs to a domain other than the standard ones
  (``""``/``ai.onnx`` and ``ai.onnx.ml``): custom operators need a library of native code, which
  is never loaded (``register_custom_ops_library`` is not called here, ever).

``session(data, name)`` then creates an onnxruntime session from the checked bytes, on the CPU,
one thread, with no profiling or optimised-model file written.
"""

from __future__ import annotations

import math

MAX_BYTES = 200 * 2**20  # an MLP of 20 million float32 numbers is 80 MB; float64 twice that
MAX_PARAMETERS = 20_000_000  # the same cap as our own bundles (explorer/bundle.py)
STANDARD_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")


class OnnxError(ValueError):
    """An ONNX file cannot be used; the message names the file and says why."""


def check(data: bytes, name: str):
    """The parsed ``onnx.ModelProto`` of ``data`` (the file ``name``), or OnnxError."""
    import onnx

    if not isinstance(data, (bytes, bytearray)):
        raise OnnxError(f"{name}: not the bytes of a file")
    if len(data) > MAX_BYTES:
        raise OnnxError(f"{name}: {len(data) / 2**20:,.0f} MB; at most {MAX_BYTES // 2**20} MB are read")
    if not data:
        raise OnnxError(f"{name}: the file is empty")
    try:
        model = onnx.ModelProto()
        model.ParseFromString(bytes(data))  # the protobuf alone: nothing outside the bytes is opened
    except Exception as e:  # noqa: BLE001 - protobuf's errors have no common type; the message is the point
        raise OnnxError(f"{name}: not an ONNX model ({type(e).__name__}: {str(e)[:200]})") from None
    if not model.graph.node and not model.graph.output:
        raise OnnxError(f"{name}: not an ONNX model (no graph)")
    for imp in model.opset_import:
        if imp.domain not in STANDARD_DOMAINS:
            raise OnnxError(f"{name}: imports the operator set {imp.domain!r}; only the standard ONNX "
                            "operators are run (custom operators would need native code)")
    for f in model.functions:
        if f.domain not in STANDARD_DOMAINS:
            raise OnnxError(f"{name}: defines the function {f.name!r} in the domain {f.domain!r}; only standard "
                            "domains are accepted")
    graphs = [(model.graph, "the graph")] + [(_function_graph(f), f"function {f.name!r}") for f in model.functions]
    for info in model.training_info:  # training graphs: onnxruntime does not run them, but they are the file's too
        graphs += [(info.initialization, "its training initialisation"), (info.algorithm, "its training algorithm")]
    parameters = 0
    for graph, where in graphs:
        parameters += _check_graph(graph, name, where)
    if parameters > MAX_PARAMETERS:
        raise OnnxError(f"{name}: {parameters:,} parameters; at most {MAX_PARAMETERS:,} are accepted")
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - onnx.checker.ValidationError and protobuf errors alike
        raise OnnxError(f"{name}: the model is malformed ({str(e).splitlines()[0][:200]})") from None
    return model


class _FunctionGraph:
    """A function's nodes, looked at like a graph's (functions hold no initializers)."""

    def __init__(self, f):
        self.node, self.initializer, self.sparse_initializer = f.node, (), ()


def _function_graph(f):
    return _FunctionGraph(f)


def _check_graph(graph, name: str, where: str) -> int:
    """Refuse external data and non-standard operators in ``graph`` and its subgraphs; the number
    of parameters its initializers hold."""
    import onnx

    count = 0
    for t in graph.initializer:
        _check_tensor(t, name, where)
        count += math.prod(t.dims)
    for s in graph.sparse_initializer:
        _check_tensor(s.values, name, where)
        _check_tensor(s.indices, name, where)
        count += math.prod(s.dims)
    for node in graph.node:
        if node.domain not in STANDARD_DOMAINS:
            raise OnnxError(f"{name}: {where} uses the operator {node.op_type!r} of the domain {node.domain!r}; "
                            "only the standard ONNX operators are run (custom operators would need native code)")
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                _check_tensor(attr.t, name, where)
                count += math.prod(attr.t.dims)
            elif attr.type == onnx.AttributeProto.TENSORS:
                for t in attr.tensors:
                    _check_tensor(t, name, where)
            elif attr.type == onnx.AttributeProto.SPARSE_TENSOR:
                _check_tensor(attr.sparse_tensor.values, name, where)
                _check_tensor(attr.sparse_tensor.indices, name, where)
            elif attr.type == onnx.AttributeProto.GRAPH:
                count += _check_graph(attr.g, name, f"a subgraph of {node.op_type}")
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    count += _check_graph(g, name, f"a subgraph of {node.op_type}")
    return count


def _check_tensor(t, name: str, where: str) -> None:
    import onnx

    if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data):
        raise OnnxError(f"{name}: {where} keeps the tensor {t.name!r} in another file; a model must hold all "
                        "its numbers itself (external data could read files on this server)")


def session(data: bytes, name: str):
    """An onnxruntime session of the checked ``data`` on the CPU: (session, model proto)."""
    import onnxruntime as ort

    model = check(data, name)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_profiling = False
    options.optimized_model_filepath = ""  # nothing written
    try:
        return ort.InferenceSession(bytes(data), sess_options=options, providers=["CPUExecutionProvider"]), model
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types (Fail, InvalidGraph, ...)
        raise OnnxError(f"{name}: onnxruntime cannot run it ({str(e).splitlines()[0][:200]})") from None
