"""An imported decoder's ONNX graph as the layers the browser's decoder runs.

The graph is walked once, in its (topological) order, for one code at a time (batch 1). Every
tensor is either a constant (initializers, Constant nodes, and everything exporters compute from
shapes around a reshape: Shape, Gather, Slice, Concat, Unsqueeze, Squeeze, Cast, Mod, Add, Sub,
Mul, Div, Range, ConstantOfShape, Equal, Where, Expand on constants; all evaluated here with numpy)
or the one running tensor, whose shape is known. Each operator on the running tensor becomes a
layer of webexport's list (ui/latent_map/decoder.js runs them):

- Gemm, MatMul (with a constant matrix) -> ``linear``; a following Add of a constant folds into
  its bias; Add/Mul/Sub/Div with a constant elsewhere -> ``affine`` (scale and shift per value);
- Conv -> ``conv``; ConvTranspose -> ``conv_transpose`` (square kernels, one stride and padding);
  BatchNormalization -> folded into the convolution or linear layer before it, else ``affine``;
- Relu, LeakyRelu, Sigmoid, Tanh, Elu, Softplus -> ``activation``; x * Sigmoid(x) (how exporters
  write SiLU, also called Swish) -> the ``silu`` activation;
- Reshape, Flatten, Squeeze, Unsqueeze -> ``reshape`` (the numbers stay in place); Transpose ->
  ``transpose``; Resize/Upsample in nearest mode -> ``upsample`` (as index maps, exact for
  every coordinate transformation and rounding);
  Identity, Dropout, a Cast to float32 (Keras emits them) -> nothing.

Anything else (another operator, a graph that branches and joins, a tensor that is not
constant where a constant is needed) raises NoBrowserForm saying what; the app then decodes on
the server and says why hover previews are off.
"""

from __future__ import annotations

import math

import numpy as np

ACTIVATIONS = {"Relu": "relu", "LeakyRelu": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh",
               "Elu": "elu", "Softplus": "softplus"}
SHAPE_ONLY = {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}
MAX_VALUES = 4_000_000  # numbers in one running tensor the browser is asked to hold


class NoBrowserForm(ValueError):
    """The decoder graph holds something the browser's decoder does not run (the message says what)."""


def _attrs(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _np(value):
    from onnx import numpy_helper

    return numpy_helper.to_array(value)


def _bounded(shape, op: str) -> None:
    """NoBrowserForm before a constant of ``shape`` is made, if it would be too large."""
    if math.prod(int(v) for v in shape) > MAX_VALUES:
        raise NoBrowserForm(f"{op} would make a constant of {list(shape)[:6]}, more than the browser is asked to hold")


class _Walk:
    def __init__(self, proto, latent_dim: int, add):
        self.graph = proto.graph
        self.add = add  # webexport.Arrays.add
        self.consts: dict[str, np.ndarray] = {t.name: _np(t) for t in self.graph.initializer}
        inputs = [i.name for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise NoBrowserForm(f"the decoder takes {len(inputs)} inputs, not one")
        self.current, self.shape = inputs[0], (1, latent_dim)
        self.layers: list[dict] = []
        self.made_by_last: str | None = None  # the running tensor when the last layer was emitted

    # ------------------------------------------------------------------------------------
    def const(self, name: str, node) -> np.ndarray:
        if name not in self.consts:
            raise NoBrowserForm(f"{node.op_type} ({node.name or 'unnamed'}) needs {name!r} to be a constant")
        return self.consts[name]

    def is_running(self, name: str) -> bool:
        return name == self.current

    def emit(self, layer: dict, out: str, shape: tuple) -> None:
        if math.prod(shape) > MAX_VALUES:
            raise NoBrowserForm(f"a tensor of {math.prod(shape):,} numbers is more than the browser is asked to hold")
        self.layers.append(layer)
        self.current, self.shape, self.made_by_last = out, tuple(int(s) for s in shape), out

    def last_linear_owns_current(self, kinds) -> dict | None:
        """The last layer, when it is of ``kinds`` and made the running tensor (so folding into it is exact)."""
        if self.layers and self.made_by_last == self.current and self.layers[-1]["type"] in kinds:
            return self.layers[-1]
        return None

    # ------------------------------------------------------------------------------------
    def silu_pairs(self) -> dict[str, str]:
        """SiLU as exporters write it, x * Sigmoid(x): {the Sigmoid's output: the Mul's output} for
        each Sigmoid whose only reader is a Mul of its own input by it."""
        readers: dict[str, list] = {}
        for node in self.graph.node:
            for i in node.input:
                readers.setdefault(i, []).append(node)
        graph_outputs = {o.name for o in self.graph.output}
        pairs = {}
        for node in self.graph.node:
            if node.op_type != "Sigmoid" or node.output[0] in graph_outputs:
                continue
            (x,), s = node.input, node.output[0]
            after = readers.get(s, [])
            if len(after) == 1 and after[0].op_type == "Mul" and sorted(after[0].input) == sorted([x, s]):
                pairs[s] = after[0].output[0]
        return pairs

    def run(self) -> list[dict]:
        silu = self.silu_pairs()
        fused: dict[str, str] = {}  # a Mul's output -> its x, for the SiLUs under way
        for node in self.graph.node:
            if node.op_type == "Sigmoid" and node.output[0] in silu and node.input[0] == self.current:
                fused[silu[node.output[0]]] = node.input[0]  # the Mul after it makes the layer
                continue
            if node.op_type == "Mul" and fused.get(node.output[0]) == self.current:
                self.emit({"type": "activation", "fn": "silu"}, node.output[0], self.shape)
                continue
            ins = [i for i in node.input]
            running = [i for i in ins if i and i == self.current]
            others = [i for i in ins if i and i != self.current and i not in self.consts]
            if others:
                raise NoBrowserForm(f"{node.op_type} ({node.name or 'unnamed'}) joins two computed tensors; "
                                    "the browser runs a chain of layers")
            if not running or node.op_type == "Shape":  # a shape is known, whatever the numbers
                self.fold_constant(node)
            else:
                self.layer(node)
        outputs = [o.name for o in self.graph.output]
        if self.current != outputs[0]:
            raise NoBrowserForm("the decoder's output is not the end of its chain of layers")
        if self.shape[0] != 1:
            raise NoBrowserForm(f"the decoder's output has shape {list(self.shape)} for one code")
        return self.layers

    def fold_constant(self, node) -> None:
        op, a = node.op_type, _attrs(node)
        c = lambda i: self.const(node.input[i], node)  # noqa: E731
        has = lambda i: len(node.input) > i and node.input[i] != ""  # noqa: E731
        if op == "Constant":
            if "value" in a:
                value = _np(a["value"])
            elif "value_float" in a or "value_int" in a:
                value = np.array(a.get("value_float", a.get("value_int")))
            elif "value_ints" in a or "value_floats" in a:
                value = np.array(a.get("value_ints", a.get("value_floats")))
            else:
                raise NoBrowserForm("a Constant of a kind the browser does not read")
        elif op == "Shape":
            value = np.array(self.shape_of(node.input[0]), np.int64)
            start, end = a.get("start", 0), a.get("end", None)
            value = value[start:end]
        elif op == "Gather":
            value = np.take(c(0), c(1), axis=a.get("axis", 0))
        elif op == "Slice":
            data, starts, ends = c(0), c(1), c(2)
            axes = c(3) if has(3) else np.arange(len(starts))
            steps = c(4) if has(4) else np.ones(len(starts), np.int64)
            index = [slice(None)] * data.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                index[int(ax)] = slice(int(s), int(e), int(st))
            value = data[tuple(index)]
        elif op == "Concat":
            _bounded((sum(np.size(self.const(i, node)) for i in node.input),), op)
            value = np.concatenate([np.atleast_1d(self.const(i, node)) for i in node.input], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            axes = a.get("axes") if "axes" in a else c(1).tolist()
            value = c(0)
            for ax in sorted(int(x) % (value.ndim + len(axes)) for x in axes):
                value = np.expand_dims(value, ax)
        elif op == "Squeeze":
            axes = a.get("axes") if "axes" in a else (c(1).tolist() if has(1) else None)
            value = np.squeeze(c(0), axis=tuple(axes) if axes is not None else None)
        elif op == "Cast":
            from onnx import helper

            value = c(0).astype(helper.tensor_dtype_to_np_dtype(a["to"]))
        elif op in ("Add", "Sub", "Mul", "Div", "Mod", "Equal", "Less", "Greater"):
            x, y = c(0), c(1)
            _bounded(np.broadcast_shapes(x.shape, y.shape), op)
            if op == "Div" and x.dtype.kind in "iu":
                value = (np.trunc(x / y)).astype(x.dtype)  # onnxruntime truncates towards zero
            elif op == "Mod":
                value = np.fmod(x, y) if a.get("fmod") else np.mod(x, y)
            else:
                value = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
                         "Equal": np.equal, "Less": np.less, "Greater": np.greater}[op](x, y)
        elif op == "Where":
            _bounded(np.broadcast_shapes(c(0).shape, c(1).shape, c(2).shape), op)
            value = np.where(c(0), c(1), c(2))
        elif op == "Range":
            start, limit, delta = (np.ravel(c(i))[0] for i in range(3))
            if delta == 0:
                raise NoBrowserForm("a Range with a step of 0")
            _bounded((max(0, math.ceil((limit - start) / delta)),), op)
            value = np.arange(start, limit, delta)
        elif op == "ConstantOfShape":
            shape = [int(v) for v in c(0)]
            if math.prod(shape) > MAX_VALUES:
                raise NoBrowserForm("a ConstantOfShape larger than the browser is asked to hold")
            fill = _np(a["value"]) if "value" in a else np.zeros(1, np.float32)
            value = np.full(shape, fill.ravel()[0], fill.dtype)
        elif op == "Expand":
            shape = np.broadcast_shapes(c(0).shape, tuple(int(v) for v in c(1)))
            _bounded(shape, op)
            value = np.broadcast_to(c(0), shape).copy()
        elif op == "Identity":
            value = c(0)
        elif op == "Reshape":
            target = [int(v) for v in c(1)]
            target = [c(0).shape[i] if v == 0 else v for i, v in enumerate(target)]
            value = c(0).reshape(target)
        elif op == "Flatten":
            axis = a.get("axis", 1)
            value = c(0).reshape(math.prod(c(0).shape[:axis]), -1)
        elif op == "Transpose":
            value = np.transpose(c(0), a.get("perm"))
        else:
            raise NoBrowserForm(f"the operator {op} on constants is not evaluated for the browser")
        if np.asarray(value).size > MAX_VALUES:
            raise NoBrowserForm(f"{op} makes a constant larger than the browser is asked to hold")
        self.consts[node.output[0]] = np.asarray(value)

    def shape_of(self, name: str) -> tuple:
        if name == self.current:
            return self.shape
        if name in self.consts:
            return self.consts[name].shape
        raise NoBrowserForm(f"the shape of {name!r} is not known")

    # ------------------------------------------------------------------------------------
    def layer(self, node) -> None:
        op, a, out = node.op_type, _attrs(node), node.output[0]
        shape = self.shape
        if op == "Cast" and a.get("to") != 1:
            raise NoBrowserForm("a Cast of the computed tensor to other than float32")
        if op in ("Identity", "Dropout", "Cast"):  # (a Cast to float32 of float32 numbers: nothing)
            self.current = out
            if self.made_by_last == node.input[0]:
                self.made_by_last = out
        elif op in ACTIVATIONS:
            layer = {"type": "activation", "fn": ACTIVATIONS[op]}
            if op in ("LeakyRelu", "Elu"):
                layer["alpha"] = float(a.get("alpha", 0.01 if op == "LeakyRelu" else 1.0))
            self.emit(layer, out, shape)
        elif op in ("Gemm", "MatMul"):
            self.linear(node, a, out)
        elif op in ("Add", "Sub", "Mul", "Div"):
            self.elementwise(node, op, out)
        elif op in SHAPE_ONLY or op == "Reshape":
            self.reshape(node, op, a, out)
        elif op == "Transpose":
            perm = list(a.get("perm", reversed(range(len(shape)))))
            if perm[0] != 0:
                raise NoBrowserForm("a Transpose that moves the batch axis")
            self.emit({"type": "transpose", "perm": [p - 1 for p in perm[1:]], "shape": list(shape[1:])},
                      out, tuple(shape[p] for p in perm))
        elif op in ("Conv", "ConvTranspose"):
            self.conv(node, op, a, out)
        elif op == "BatchNormalization":
            self.batch_norm(node, a, out)
        elif op in ("Resize", "Upsample"):
            self.upsample(node, op, a, out)
        else:
            raise NoBrowserForm(f"the operator {op} is not among those the browser's decoder runs")

    def linear(self, node, a, out) -> None:
        if len(self.shape) != 2 or node.input[0] != self.current:
            raise NoBrowserForm(f"{node.op_type} on a tensor of shape {list(self.shape)} (or with the code second)")
        w = self.const(node.input[1], node).astype(np.float64)
        if node.op_type == "Gemm":
            if a.get("transA", 0):
                raise NoBrowserForm("a Gemm with transA")
            w = w if a.get("transB", 0) else w.T  # -> [out, in]
            w = w * a.get("alpha", 1.0)
            bias = self.const(node.input[2], node) * a.get("beta", 1.0) if len(node.input) > 2 and node.input[2] \
                else np.zeros(w.shape[0])
        else:
            if w.ndim != 2:
                raise NoBrowserForm("a MatMul by a matrix of other than two axes")
            w, bias = w.T, np.zeros(w.shape[1])
        if w.shape[1] != self.shape[1]:
            raise NoBrowserForm(f"{node.op_type} takes {w.shape[1]} numbers, the tensor before holds {self.shape[1]}")
        bias = np.broadcast_to(np.asarray(bias, np.float64), (1, w.shape[0]))[0]  # C broadcasts to [1, out]
        self.emit({"type": "linear", "in": int(w.shape[1]), "out": int(w.shape[0]), "_w": w, "_b": bias.copy()},
                  out, (1, w.shape[0]))

    def elementwise(self, node, op, out) -> None:
        other = node.input[1] if node.input[0] == self.current else node.input[0]
        if node.input[0] != self.current and op in ("Sub", "Div"):
            raise NoBrowserForm(f"a {op} with the computed tensor second")
        c = self.const(other, node).astype(np.float64)
        try:
            full = np.broadcast_to(c, self.shape)[0] if c.ndim <= len(self.shape) else None
        except ValueError:
            full = None
        if full is None or np.broadcast_shapes(c.shape, self.shape) != self.shape:
            raise NoBrowserForm(f"{op} by a constant of shape {list(c.shape)} on a tensor of shape {list(self.shape)}")
        with np.errstate(divide="ignore"):  # x / 0 is infinite in onnxruntime too
            scale, shift = {"Add": (1.0, full), "Sub": (1.0, -full), "Mul": (full, 0.0), "Div": (1.0 / full, 0.0)}[op]
        owner = self.last_linear_owns_current(("linear", "conv", "conv_transpose", "affine"))
        if owner is not None and op in ("Add", "Sub") and owner["type"] == "linear":
            owner["_b"] = owner["_b"] + full
            self.current = self.made_by_last = out
            return
        self.affine(np.broadcast_to(scale, self.shape[1:]), np.broadcast_to(shift, self.shape[1:]), out)

    def affine(self, scale, shift, out) -> None:
        owner = self.last_linear_owns_current(("affine",))
        if owner is not None:  # two in a row are one
            owner["_scale"], owner["_shift"] = owner["_scale"] * scale, owner["_shift"] * scale + shift
            self.current = self.made_by_last = out
            return
        self.emit({"type": "affine", "_scale": np.array(scale, np.float64), "_shift": np.array(shift, np.float64)},
                  out, self.shape)

    def reshape(self, node, op, a, out) -> None:
        shape, n = self.shape, math.prod(self.shape)
        if op == "Reshape":
            target = [int(v) for v in self.const(node.input[1], node)]
            target = [shape[i] if v == 0 and not a.get("allowzero", 0) else v for i, v in enumerate(target)]
            if target.count(-1) == 1:
                known = math.prod(v for v in target if v != -1)
                target[target.index(-1)] = n // known if known else 0
        elif op == "Flatten":
            axis = a.get("axis", 1) % len(shape) if shape else 0
            target = [math.prod(shape[:axis]), math.prod(shape[axis:])]
        elif op == "Squeeze":
            axes = a.get("axes") if "axes" in a else (self.const(node.input[1], node).tolist()
                                                      if len(node.input) > 1 and node.input[1] else None)
            axes = [x % len(shape) for x in axes] if axes is not None else [i for i, s in enumerate(shape) if s == 1 and i]
            target = [s for i, s in enumerate(shape) if i not in axes]
        else:  # Unsqueeze
            axes = a.get("axes") if "axes" in a else self.const(node.input[1], node).tolist()
            target = list(shape)
            for ax in sorted(x % (len(shape) + len(axes)) for x in axes):
                target.insert(ax, 1)
        if math.prod(target) != n or not target or target[0] != 1:
            raise NoBrowserForm(f"a {op} from {list(shape)} to {target} (the batch axis must stay first)")
        self.emit({"type": "reshape", "shape": target[1:]}, out, tuple(target))

    def conv(self, node, op, a, out) -> None:
        shape = self.shape
        if len(shape) != 4:
            raise NoBrowserForm(f"a {op} on a tensor of shape {list(shape)}; the browser runs 2-D convolutions")
        w = self.const(node.input[1], node).astype(np.float64)
        b = self.const(node.input[2], node).astype(np.float64) if len(node.input) > 2 and node.input[2] else None
        kh, kw = w.shape[2:]
        strides = list(a.get("strides", [1, 1]))
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise NoBrowserForm(f"a {op} with auto_pad")
        if a.get("group", 1) != 1 or list(a.get("dilations", [1, 1])) != [1, 1]:
            raise NoBrowserForm(f"a grouped or dilated {op}")
        if kh != kw or strides[0] != strides[1] or len(set(pads)) != 1:
            raise NoBrowserForm(f"a {op} with a {kh}x{kw} kernel, strides {strides}, pads {pads}; the browser runs "
                                "square kernels with one stride and padding")
        k, s, p = int(kh), int(strides[0]), int(pads[0])
        _, cin, h, wd = shape
        if op == "Conv":
            cout = w.shape[0]
            if w.shape[1] != cin:
                raise NoBrowserForm(f"a Conv of {w.shape[1]} input channels on {cin}")
            oh, ow = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
            extra = 0
        else:
            cout = w.shape[1]
            if w.shape[0] != cin:
                raise NoBrowserForm(f"a ConvTranspose of {w.shape[0]} input channels on {cin}")
            extra_pad = list(a.get("output_padding", [0, 0]))
            if "output_shape" in a or len(set(extra_pad)) != 1:
                raise NoBrowserForm("a ConvTranspose with output_shape or unequal output_padding")
            extra = int(extra_pad[0])
            oh, ow = (h - 1) * s - 2 * p + k + extra, (wd - 1) * s - 2 * p + k + extra
        layer = {"type": "conv" if op == "Conv" else "conv_transpose", "in": int(cin), "out": int(cout),
                 "kernel": k, "stride": s, "padding": p, "_w": w, "_b": b if b is not None else np.zeros(cout)}
        if extra:
            layer["output_padding"] = extra
        self.emit(layer, out, (1, cout, oh, ow))

    def batch_norm(self, node, a, out) -> None:
        scale, bias, mean, var = (self.const(node.input[i], node).astype(np.float64) for i in range(1, 5))
        g = scale / np.sqrt(var + a.get("epsilon", 1e-5))
        shift = bias - mean * g
        owner = self.last_linear_owns_current(("conv", "conv_transpose", "linear"))
        if owner is not None:  # folded: the channel axis is the layer's output axis
            if owner["type"] == "conv":
                owner["_w"] = owner["_w"] * g[:, None, None, None]
            elif owner["type"] == "conv_transpose":
                owner["_w"] = owner["_w"] * g[None, :, None, None]
            else:
                owner["_w"] = owner["_w"] * g[:, None]
            owner["_b"] = owner["_b"] * g + shift
            self.current = self.made_by_last = out
            return
        per = (-1,) + (1,) * (len(self.shape) - 2)
        self.affine(np.broadcast_to(g.reshape(per), self.shape[1:]), np.broadcast_to(shift.reshape(per), self.shape[1:]), out)

    def upsample(self, node, op, a, out) -> None:
        """Resize/Upsample in nearest mode as index maps: for each output row (column), the input
        row (column) that ONNX's coordinate transformation and rounding pick, so every mode and
        factor decodes as onnxruntime does."""
        def text(v, default):
            return (v.decode() if isinstance(v, bytes) else v) if v is not None else default

        mode = text(a.get("mode"), "nearest")
        if mode != "nearest":
            raise NoBrowserForm(f"a {op} in {mode} mode; the browser enlarges by repeating pixels (nearest)")
        shape = self.shape
        if len(shape) != 4:
            raise NoBrowserForm(f"a {op} of a tensor of shape {list(shape)}")
        sizes = None
        if op == "Upsample":  # opset 7-9: scales an attribute (7) or an input; floor(x / scale)
            scales = a["scales"] if "scales" in a else self.const(node.input[1], node)
            ctm, rounding = "asymmetric", "floor"
        else:
            ctm = text(a.get("coordinate_transformation_mode"), "half_pixel")
            rounding = text(a.get("nearest_mode"), "round_prefer_floor")
            if ctm == "tf_crop_and_resize" or a.get("axes") or a.get("keep_aspect_ratio_policy"):
                raise NoBrowserForm(f"a {op} that crops, or with axes or an aspect-ratio policy")
            scales = self.const(node.input[2], node) if len(node.input) > 2 and node.input[2] else np.array([])
            sizes = self.const(node.input[3], node) if len(node.input) > 3 and node.input[3] else None
            if np.size(scales) == 0 and sizes is None:
                raise NoBrowserForm(f"a {op} with neither scales nor sizes")
        if sizes is not None:
            sizes = [int(v) for v in np.ravel(sizes)]
            scales = [o / i for o, i in zip(sizes, shape)]
        else:
            scales = [float(v) for v in np.ravel(scales)]
            sizes = [int(np.floor(i * s)) for i, s in zip(shape, scales)]
        if len(scales) != 4 or len(sizes) != 4 or sizes[:2] != list(shape[:2]) or min(sizes) < 1:
            raise NoBrowserForm(f"a {op} that resizes the batch or channel axes")
        if math.prod(sizes) > MAX_VALUES:
            raise NoBrowserForm(f"a {op} to {sizes}, more than the browser is asked to hold")
        maps = [_nearest(shape[ax], sizes[ax], scales[ax], ctm, rounding) for ax in (2, 3)]
        self.emit({"type": "upsample", "rows": maps[0], "cols": maps[1]}, out, (1, shape[1], sizes[2], sizes[3]))


def _nearest(n_in: int, n_out: int, scale: float, ctm: str, rounding: str) -> list[int]:
    """The input index each output index reads in ONNX Resize's nearest mode (its operator
    specification: the coordinate transformation, then the rounding, clamped to the input),
    worked out in float32 as onnxruntime does, so a coordinate on a boundary rounds the same way."""
    x = np.arange(n_out, dtype=np.float32)
    scale, n_in_f, n_out_f = np.float32(scale), np.float32(n_in), np.float32(n_out)
    half, one = np.float32(0.5), np.float32(1)
    if ctm in ("half_pixel", "pytorch_half_pixel"):
        orig = (x + half) / scale - half if (ctm == "half_pixel" or n_out > 1) else np.zeros(n_out, np.float32)
    elif ctm == "align_corners":
        orig = x * (n_in_f - one) / (n_out_f - one) if n_out > 1 else np.zeros(n_out, np.float32)
    elif ctm == "asymmetric":
        orig = x / scale
    elif ctm == "tf_half_pixel_for_nn":
        orig = (x + half) / scale
    elif ctm == "half_pixel_symmetric":
        adjustment = n_out_f / (scale * n_in_f)
        orig = n_in_f / np.float32(2) * (one - adjustment) + (x + half) / scale - half
    else:
        raise NoBrowserForm(f"a Resize with coordinate_transformation_mode {ctm[:30]!r}")
    if rounding == "floor":
        idx = np.floor(orig)
    elif rounding == "ceil":
        idx = np.ceil(orig)
    elif rounding in ("round_prefer_floor", "round_prefer_ceil"):
        half = orig - np.floor(orig) == 0.5
        idx = np.where(half, np.floor(orig) if rounding == "round_prefer_floor" else np.ceil(orig), np.round(orig))
    else:
        raise NoBrowserForm(f"a Resize with nearest_mode {rounding[:30]!r}")
    return [int(v) for v in np.clip(idx, 0, n_in - 1)]


def layers(proto, latent_dim: int, add, to_hwc: bool = False) -> list[dict]:
    """The decoder graph ``proto`` as webexport's layers, its arrays given to ``add(key, array)``;
    NoBrowserForm otherwise (and for anything in the graph that cannot be read: a stranger's file
    fails only this way). ``to_hwc``: the graph makes [C, H, W] colour images, which a last
    transpose turns into the browser's H x W x C. Nodes no output depends on are left out first,
    as onnx_safety leaves them out of the sessions."""
    from explorer.onnx.safety import without_dead_nodes

    walk = _Walk(without_dead_nodes(proto), latent_dim, add)
    try:
        out = walk.run()
    except NoBrowserForm:
        raise
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError, MemoryError) as e:
        raise NoBrowserForm(f"the decoder graph cannot be read for the browser ({type(e).__name__}: {str(e)[:120]})") from None
    if to_hwc:
        out.append({"type": "transpose", "perm": [1, 2, 0], "shape": list(walk.shape[1:])})
    for i, layer in enumerate(out):
        for key, name in (("_w", "weight"), ("_b", "bias"), ("_scale", "scale"), ("_shift", "shift")):
            if key in layer:
                layer[name] = add(f"dec{i}.{name}", np.asarray(layer.pop(key), np.float32))
    return out
