"""ONNX files from strangers, read as data: checked with ``onnx`` before onnxruntime
ever sees them, and sessions made from bytes.

A model file is refused, with a message naming it and the reason, when

- it is larger than ``MAX_BYTES`` or holds more than ``MAX_PARAMETERS`` numbers;
- it does not parse as an ONNX model, or ``onnx.checker`` finds it malformed;
- any tensor (an initializer, a Constant's value, a sparse tensor, in the main graph or in any
  subgraph of If, Loop or Scan, or in a function) says its data lives outside the file
  (``data_location == EXTERNAL`` or ``external_data`` entries): onnxruntime, even from bytes,
  reads such paths under the working directory (measured, ../shared/FACTS.md), so a crafted
  model could hand back the bytes of the app's secrets file;
- any operator, opset import or function belongs to a domain other than the standard ones
  (``""``/``ai.onnx`` and ``ai.onnx.ml``): custom operators need a library of native code, which
  is never loaded (``register_custom_ops_library`` is not called here, ever);
- its bytes are an onnxruntime-format (ORT) file: onnxruntime would run that format's own graph,
  which ``onnx`` never sees (a file can read as a harmless ONNX model and as another ORT model);
- a tensor declares more than MAX_RANK dimensions or a negative one, or all its tensors together
  declare more than MAX_PARAMETERS numbers, a sparse one counted at its dense size (onnxruntime
  expands a sparse Constant when it loads it: 122 bytes could take 2 GB).

``session(data, name)`` then creates an onnxruntime session from the checked bytes, on the CPU,
one thread, loading ONNX only (never the ORT format), optimised only where every tensor that
could be folded at load is known from the shapes to be small (``foldable_is_small``: else a few
bytes of ConstantOfShape would fold into gigabytes), nodes no output needs left out, with no
profiling or optimised-model file written. A hostile-input probe found the ORT, sparse, rank and function-attribute cases; each has
a test. What a graph allocates when it runs (onnxruntime caps one tensor at 2 GB, not the total) is
bounded where a stranger's graph first runs: the app's import panel (ui/import_panel.py) runs the
import command in its own process under an address-space limit, and that command runs the graph
on every image in the batches the app later uses, so a graph that opens in the app has run
within that limit.
"""

from __future__ import annotations


MAX_BYTES = 200 * 2**20  # an MLP of 20 million float32 numbers is 80 MB; float64 twice that
MAX_PARAMETERS = 20_000_000  # the same cap as our own bundles (explorer/bundles/bundle.py)
STANDARD_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")
MAX_RANK = 8  # dimensions of one tensor: images with a batch axis need 4 or 5
ORT_FORMAT_MARK = b"ORTM"  # bytes 4-8 of an onnxruntime-format file, which onnxruntime would load as such


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
    if bytes(data[4:8]) == ORT_FORMAT_MARK:  # onnxruntime would run it as its own format, unseen by onnx
        raise OnnxError(f"{name}: an onnxruntime-format (ORT) file, not ONNX; export the model as .onnx")
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
    count = _Count(name)
    for f in model.functions:
        if f.domain not in STANDARD_DOMAINS:
            raise OnnxError(f"{name}: defines the function {f.name!r} in the domain {f.domain!r}; only standard "
                            "domains are accepted")
        where = f"function {f.name!r}"
        _check_nodes(f.node, name, where, count)
        for attr in f.attribute_proto:  # the function's default attribute values
            _check_attribute(attr, name, where, count)
    _check_graph(model.graph, name, "the graph", count)
    for info in model.training_info:  # training graphs: onnxruntime does not run them, but they are the file's too
        _check_graph(info.initialization, name, "its training initialisation", count)
        _check_graph(info.algorithm, name, "its training algorithm", count)
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - onnx.checker.ValidationError and protobuf errors alike
        raise OnnxError(f"{name}: the model is malformed ({str(e).splitlines()[0][:200]})") from None
    return model


class _Count:
    """The numbers a file's tensors declare, dense (a sparse tensor is counted by its full size:
    onnxruntime expands a sparse Constant when it loads it), refused as soon as the total passes
    MAX_PARAMETERS; a shape with too many, negative or absurd dimensions is refused first, so
    counting stays cheap (dims are multiplied one by one, never into a huge integer)."""

    def __init__(self, name: str):
        self.name, self.total = name, 0

    def add(self, dims, where: str, what: str) -> None:
        if len(dims) > MAX_RANK:
            raise OnnxError(f"{self.name}: {where} has the tensor {what!r} of {len(dims)} dimensions; at most "
                            f"{MAX_RANK} are accepted")
        n = 1
        for d in dims:
            if d < 0:
                raise OnnxError(f"{self.name}: {where} has the tensor {what!r} with a negative dimension ({d})")
            n *= d
            if n > MAX_PARAMETERS:
                break
        self.total += n
        if self.total > MAX_PARAMETERS:
            raise OnnxError(f"{self.name}: more than {MAX_PARAMETERS:,} parameters (at {where}, tensor {what!r}); "
                            f"at most {MAX_PARAMETERS:,} are accepted")


def _check_graph(graph, name: str, where: str, count: _Count) -> None:
    """Refuse external data, non-standard operators and oversized tensors in ``graph`` and its
    subgraphs, adding what its tensors declare to ``count``."""
    for t in graph.initializer:
        _check_tensor(t, name, where, count)
    for s in graph.sparse_initializer:
        _check_sparse(s, name, where, count)
    _check_nodes(graph.node, name, where, count)


def _check_nodes(nodes, name: str, where: str, count: _Count) -> None:
    for node in nodes:
        if node.domain not in STANDARD_DOMAINS:
            raise OnnxError(f"{name}: {where} uses the operator {node.op_type!r} of the domain {node.domain!r}; "
                            "only the standard ONNX operators are run (custom operators would need native code)")
        for attr in node.attribute:
            _check_attribute(attr, name, where, count, node.op_type)


def _check_attribute(attr, name: str, where: str, count: _Count, op: str = "a function") -> None:
    """Every tensor and graph an attribute may hold, whatever its declared type says."""
    tensors = [attr.t] if attr.HasField("t") else []
    tensors += list(attr.tensors)
    for t in tensors:
        _check_tensor(t, name, where, count)
    sparse = [attr.sparse_tensor] if attr.HasField("sparse_tensor") else []
    for s in [*sparse, *attr.sparse_tensors]:
        _check_sparse(s, name, where, count)
    graphs = [attr.g] if attr.HasField("g") else []
    for g in [*graphs, *attr.graphs]:
        _check_graph(g, name, f"a subgraph of {op}", count)


def _check_sparse(s, name: str, where: str, count: _Count) -> None:
    _check_tensor(s.values, name, where, None)
    _check_tensor(s.indices, name, where, None)
    count.add(s.dims, where, s.values.name)


def _check_tensor(t, name: str, where: str, count: _Count | None) -> None:
    import onnx

    if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data):
        raise OnnxError(f"{name}: {where} keeps the tensor {t.name!r} in another file; a model must hold all "
                        "its numbers itself (external data could read files on this server)")
    if count is not None:
        count.add(t.dims, where, t.name)


def without_dead_nodes(model):
    """``model`` without the main graph's nodes that no output depends on (the same object when
    there are none): onnxruntime runs every node, so an unused Range(0, 1e9) would take 8 GB on
    every call (measured by a hostile-input probe) for nothing."""
    graph = model.graph
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
            for attr in node.attribute:  # a subgraph's outer-scope names
                for g in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                    needed.update(i for n in g.node for i in n.input if i)
    if len(keep) == len(graph.node):
        return model
    import onnx

    live = onnx.ModelProto()
    live.CopyFrom(model)
    del live.graph.node[:]
    live.graph.node.extend(reversed(keep))
    return live


MAX_FOLDED = 16 * 2**20  # numbers in one tensor folded at load (64 MB of float32); a model's own weights are larger
MAX_FOLDED_TOTAL = 64 * 2**20


def foldable_is_small(model) -> bool:
    """Whether every tensor that onnxruntime could compute while loading ``model`` has a shape
    that ONNX's shape inference fixes (without propagating values, which would compute them), of at most
    MAX_FOLDED numbers, MAX_FOLDED_TOTAL together. A tensor is computable at load when every
    input of its node is: an initializer, or a Shape of a tensor of fixed shape. Anything not
    known (a failed inference, a shape left open, a subgraph) counts as not small."""
    import onnx

    graph = model.graph
    if any(n.op_type in ("If", "Loop", "Scan") or n.domain not in ("", "ai.onnx") for n in graph.node):
        return False
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)  # data_prop would compute values: 22 GB for a Range
    except Exception:  # noqa: BLE001 - onnx raises its own types; not knowing is "not small"
        return False
    shapes = {}
    for v in [*inferred.graph.value_info, *inferred.graph.output, *inferred.graph.input]:
        t = v.type.tensor_type
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            shapes[v.name] = dims
    known = {t.name for t in graph.initializer}
    total = 0
    for node in graph.node:
        if node.op_type == "Shape":
            computable = shapes.get(node.input[0]) is not None and None not in shapes[node.input[0]]
        else:
            computable = all(i in known or not i for i in node.input)
        if not computable:
            continue
        for out in node.output:
            dims = shapes.get(out)
            if dims is None or None in dims:
                return False
            size = 1
            for d in dims:
                size *= d
            total += size
            if size > MAX_FOLDED or total > MAX_FOLDED_TOTAL:
                return False
            known.add(out)
    return True


def session(data: bytes, name: str, threads: int = 1):
    """An onnxruntime session of the checked ``data`` on the CPU: (session, model proto). One
    thread by default (an app server runs one session per student); a command may use more."""
    import onnxruntime as ort

    model = check(data, name)
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.enable_profiling = False
    options.log_severity_level = 3  # errors only: its warnings about a stranger's graph would reach the terminal
    options.optimized_model_filepath = ""  # nothing written
    options.add_session_config_entry("session.load_model_format", "ONNX")  # never its own ORT format
    live = without_dead_nodes(model)
    # constant folding at load could turn a few bytes of ConstantOfShape, Range or Expand into
    # gigabytes before anything runs: onnxruntime optimises only a graph whose every foldable
    # tensor is known, from the shapes, to be small (3x faster on a conv decoder, measured)
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL if foldable_is_small(live) \
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        run = bytes(data) if live is model else live.SerializeToString()
        return ort.InferenceSession(run, sess_options=options, providers=["CPUExecutionProvider"]), model
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types (Fail, InvalidGraph, ...)
        raise OnnxError(f"{name}: onnxruntime cannot run it ({str(e).splitlines()[0][:200]})") from None
