"""Reading files that may come from strangers: JSON and safetensors, checked before anything
large is allocated.

A bundle folder found in ``--models-dir`` is someone else's data. Everything here reads it as
data and bounds what it may cost: a JSON file's size and nesting depth, a safetensors file's
header (names, dtypes, shapes and byte ranges, read and checked without touching the tensors),
so that a file claiming a 3 GB network is refused after reading a few hundred bytes. Each
function raises the caller's error class with a message that starts with the file's path.
The safetensors layout (an 8-byte little-endian header length, a JSON header, then the raw
bytes) is the one documented at https://github.com/huggingface/safetensors.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
from pathlib import Path

MAX_JSON_BYTES = 4 * 2**20  # a bundle's config.json is 4-17 KB; its training history grows with epochs
MAX_JSON_DEPTH = 32  # ours nest 4 deep
MAX_HEADER_BYTES = 2**20  # a safetensors header of ours is under 2 KB
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "U16": 2, "U32": 4, "U64": 8, "BOOL": 1}


def depth(value) -> int:
    """How deeply ``value`` nests lists and objects (0 for a number or string), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            deepest = max(deepest, d + 1)
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


def read_bytes(file: Path, error: type[Exception], max_bytes: int) -> bytes:
    """The regular file ``file``, whole; ``error`` if it is over ``max_bytes``, missing, or not a
    regular file (a FIFO would block the reader, /dev/zero would never end)."""
    content = read_prefix(Path(file), error, max_bytes + 1)
    if len(content) > max_bytes:
        raise error(f"{file}: over {max_bytes:,} bytes; at most {max_bytes:,} are read")
    return content


def read_json(file: Path, error: type[Exception], max_bytes: int = MAX_JSON_BYTES,
              max_depth: int = MAX_JSON_DEPTH):
    """The JSON value in ``file``; ``error`` if it is missing, not a regular file, too large, not
    UTF-8 JSON, holds a number that is not finite (NaN, Infinity, 1e999) or nests deeper than
    ``max_depth`` (Python's parser recurses, so depth is bounded by size first)."""
    file = Path(file)
    try:
        text = read_bytes(file, error, max_bytes).decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{file}: cannot be read ({e})") from e
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise error(f"{file}: nested too deeply (at most {max_depth} levels)") from None
    except (ValueError, TypeError) as e:
        raise error(f"{file}: not valid JSON ({e})") from e
    if depth(value) > max_depth:
        raise error(f"{file}: nested too deeply (at most {max_depth} levels)")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is not a finite number")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def tensor_header(file: Path, error: type[Exception]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Name -> (dtype, shape) of every tensor in the safetensors ``file``, from its header alone;
    ``error`` unless the header is well formed and every tensor's bytes lie inside the file,
    exactly as long as its dtype and shape say, without overlaps."""
    file = Path(file)
    head = read_prefix(file, error, 8)
    if len(head) < 8:
        raise error(f"{file}: {_foreign(head)}")
    (n,) = struct.unpack("<Q", head)
    try:
        size = file.stat().st_size
    except OSError as e:
        raise error(f"{file}: cannot be read ({e.strerror or e})") from e
    if n > MAX_HEADER_BYTES or 8 + n > size:
        raise error(f"{file}: {_foreign(head)} (its header claims {n:,} bytes)")
    raw = read_prefix(file, error, 8 + n)[8:]
    try:
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise error(f"{file}: {_foreign(head)} (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise error(f"{file}: its header is not a JSON object")
    header.pop("__metadata__", None)
    body, out, spans = size - 8 - n, {}, []
    for name, entry in header.items():
        try:
            dtype, shape, (start, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            ok = (dtype in DTYPE_BYTES and isinstance(shape, list) and len(shape) <= 8
                  and all(type(s) is int and s >= 0 for s in shape)
                  and type(start) is int and type(end) is int and 0 <= start <= end <= body
                  and end - start == DTYPE_BYTES[dtype] * math.prod(shape))
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            raise error(f"{file}: tensor {name[:60]!r} is described inconsistently in the header")
        out[name] = (dtype, tuple(shape))
        spans.append((start, end))
    spans.sort()
    if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
        raise error(f"{file}: tensors overlap in the file")
    return out


def read_prefix(file: Path, error: type[Exception], n: int) -> bytes:
    """The first ``n`` bytes (or fewer) of the regular file ``file``; ``error`` if it is not one
    (opened without blocking, so a FIFO is refused rather than waited on)."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise error(f"{file}: missing") from None
    except OSError as e:
        raise error(f"{file}: cannot be read ({e.strerror or e})") from e
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{file}: not a regular file")
        return os.pread(fd, n, 0)
    except OSError as e:
        raise error(f"{file}: cannot be read ({e.strerror or e})") from e
    finally:
        os.close(fd)


def _foreign(head: bytes) -> str:
    if head[:1] == b"\x80" or head[:2] == b"PK":
        return "it looks like a pickled PyTorch checkpoint, which is refused unread (pickles can run code)"
    return "it is not a safetensors file"


def check_header(file: Path, header: dict, expected: dict[str, tuple[tuple[str, ...], tuple[int, ...]]],
                 error: type[Exception], optional: dict | None = None) -> None:
    """``error`` unless ``header`` holds exactly the tensors of ``expected`` (name -> (allowed
    dtypes, shape)) and any of ``optional`` (the same form; a shape entry of -1 matches anything),
    with their dtypes and shapes."""
    optional = optional or {}
    missing = sorted(set(expected) - set(header))
    extra = sorted(set(header) - set(expected) - set(optional))
    wrong = []
    for name, (dtype, shape) in header.items():
        want = expected.get(name) or optional.get(name)
        if want is None:
            continue
        dtypes, want_shape = want
        if dtype not in dtypes:
            wrong.append(f"{name[:60]} is {dtype}, expected {'/'.join(dtypes)}")
        if len(shape) != len(want_shape) or any(w not in (-1, s) for s, w in zip(shape, want_shape)):
            wrong.append(f"{name[:60]} has shape {list(shape)}, expected {[('any' if w == -1 else w) for w in want_shape]}")
    problems = ([f"missing {_few(missing)}"] if missing else []) + ([f"unexpected {_few(extra)}"] if extra else []) \
        + wrong[:5]
    if problems:
        raise error(f"{file}: " + "; ".join(problems))


def _few(names: list[str], n: int = 5) -> str:
    """At most ``n`` names, each cut to 60 characters: a message, not a dump of a stranger's header."""
    shown = [name[:60] for name in names[:n]]
    return str(shown) + (f" and {len(names) - n} more" if len(names) > n else "")
