"""Exact graph folding of RapidOCR's PP-OCR models, so onnxruntime runs fewer kernels.

PP-OCRv4's backbones (PP-LCNetV3) follow every convolution with a *learnable affine block*,
``y = a * x + b`` with scalar ``a`` and ``b``, before and after a hard-swish that the Paddle
exporter spells out as four elementwise nodes (``x + 3``, ``clip 0..6``, ``x * clip``,
``/ 6``). onnxruntime fuses none of them: on a 48x480 text line they were about half of the
recogniser's kernel time (Mul 20 %, Add 17 %, Clip 6 %, Div 6 %, plus the layout reorders
around them). This module rewrites the graph, keeping its arithmetic:

- ``Conv -> Mul(a) -> Add(b)`` becomes one ``Conv`` with weights ``a*W`` and bias ``a*B + b``;
- the hard-swish becomes ``x * HardSigmoid(x; 1/6, 1/2)`` (opset 12 has no HardSwish);
- ``Mul(a) -> Add(b) -> Conv`` into a convolution *without padding* (the 1x1 pointwise ones)
  becomes that ``Conv`` with ``a*W`` and ``B + b * sum(W)`` (with zero padding the border would
  see ``b`` where the original saw 0, so padded convolutions keep their affine nodes).

Every folded model is checked against the original on a fixed probe input before it is used;
if the outputs differ by more than float rounding, the original is used and a warning logged.
Folded files are cached by the source's sha256, so a worker folds once per model version.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Bump when the rewrite changes, so cached files of an older rewrite are not reused.
REWRITE_VERSION = 2
# Largest difference accepted between the original's and the folded model's outputs on the
# probe input (both are probabilities in [0, 1]; float32 re-association gives ~1e-6).
TOLERANCE = 1e-4


@dataclass(frozen=True)
class FoldReport:
    """What :func:`fold` rewrote."""

    conv_affine: int  # Conv -> Mul -> Add folded into the Conv
    hardswish: int  # four-node hard-swish replaced by HardSigmoid + Mul
    affine_conv: int  # Mul -> Add folded into the following unpadded Conv
    affine_pointwise: int  # other Mul -> Add after a Conv made a per-channel 1x1 Conv

    @property
    def total(self) -> int:
        """Rewrites of all kinds."""
        return self.conv_affine + self.hardswish + self.affine_conv + self.affine_pointwise


class _Graph:
    """The node list of an ONNX graph with constant values and consumer lookups."""

    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        self.model = model
        self.graph = model.graph
        self.values: dict[str, np.ndarray] = {}
        for node in self.graph.node:
            if node.op_type == "Constant" and len(node.attribute) == 1:
                attr = node.attribute[0]
                if attr.name == "value":
                    self.values[node.output[0]] = numpy_helper.to_array(attr.t)
        for init in self.graph.initializer:
            self.values[init.name] = numpy_helper.to_array(init)
        self.nodes = [n for n in self.graph.node if n.op_type != "Constant"]
        self.outputs = {o.name for o in self.graph.output}
        self.new_initializers: dict[str, np.ndarray] = {}

    def consumers(self, name: str) -> list[Any]:
        return [n for n in self.nodes if name in n.input]

    def only_consumer(self, name: str, op_type: str) -> Any | None:
        users = self.consumers(name)
        if name in self.outputs or len(users) != 1 or users[0].op_type != op_type:
            return None
        return users[0]

    def scalar(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value.size != 1:
            return None
        return float(value.ravel()[0])

    def scalar_operand(self, node: Any, other_than: str) -> float | None:
        """The constant scalar of a binary node whose other input is ``other_than``."""
        rest = [i for i in node.input if i != other_than]
        return self.scalar(rest[0]) if len(rest) == 1 else None

    def affine_after(self, name: str) -> tuple[float, float, Any, Any] | None:
        """``Mul(a)`` then ``Add(b)`` applied to ``name`` alone: ``(a, b, mul, add)``."""
        mul = self.only_consumer(name, "Mul")
        if mul is None:
            return None
        a = self.scalar_operand(mul, name)
        add = self.only_consumer(mul.output[0], "Add")
        if a is None or add is None:
            return None
        b = self.scalar_operand(add, mul.output[0])
        if b is None or add.output[0] in self.outputs:
            return None
        return a, b, mul, add

    def conv_weights(self, conv: Any) -> tuple[np.ndarray, np.ndarray] | None:
        weight = self.values.get(conv.input[1])
        if weight is None:
            return None
        has_bias = len(conv.input) > 2 and conv.input[2]
        bias = self.values.get(conv.input[2]) if has_bias else np.zeros(weight.shape[0])
        return (weight, bias) if bias is not None else None

    def set_conv_weights(self, conv: Any, weight: np.ndarray, bias: np.ndarray) -> None:
        stem = f"{conv.output[0]}.folded{len(self.new_initializers)}"
        for suffix, value in (("w", weight), ("b", bias)):
            self.new_initializers[f"{stem}.{suffix}"] = value.astype(np.float32)
            self.values[f"{stem}.{suffix}"] = value
        data = conv.input[0]
        del conv.input[:]
        conv.input.extend([data, f"{stem}.w", f"{stem}.b"])

    def bypass(self, removed: list[Any], old: str, new: str) -> None:
        """Drop ``removed`` and feed their consumers of ``old`` from ``new``."""
        for node in removed:
            self.nodes.remove(node)
        for node in self.nodes:
            for k, name in enumerate(node.input):
                if name == old:
                    node.input[k] = new

    def write_back(self) -> None:
        from onnx import numpy_helper

        used = {i for n in self.nodes for i in n.input} | self.outputs
        constants = [n for n in self.graph.node if n.op_type == "Constant" and n.output[0] in used]
        del self.graph.node[:]
        self.graph.node.extend(constants + self.nodes)
        stale = [init for init in self.graph.initializer if init.name not in used]
        for init in stale:
            self.graph.initializer.remove(init)
        for name, value in self.new_initializers.items():
            if name in used:
                self.graph.initializer.append(numpy_helper.from_array(value, name))


def fold(model: Any) -> FoldReport:
    """Rewrite ``model`` (an ``onnx.ModelProto``) in place; see the module docstring."""
    g = _Graph(model)
    conv_affine = _fold_conv_affine(g)
    hardswish = _fuse_hardswish(g)
    affine_conv = _fold_affine_conv(g)
    affine_pointwise = _affine_as_conv(g)
    g.write_back()
    return FoldReport(conv_affine, hardswish, affine_conv, affine_pointwise)


def _fold_conv_affine(g: _Graph) -> int:
    count = 0
    for conv in [n for n in g.nodes if n.op_type == "Conv"]:
        found = g.affine_after(conv.output[0])
        weights = g.conv_weights(conv)
        if found is None or weights is None:
            continue
        a, b, mul, add = found
        weight, bias = weights
        g.set_conv_weights(conv, weight * a, bias * a + b)
        g.bypass([mul, add], add.output[0], conv.output[0])
        count += 1
    return count


def _fuse_hardswish(g: _Graph) -> int:
    from onnx import helper

    count = 0
    for add in [n for n in g.nodes if n.op_type == "Add"]:
        x = add.input[0]
        if g.scalar(add.input[1]) != 3.0:
            continue
        clip = g.only_consumer(add.output[0], "Clip")
        if clip is None or len(clip.input) != 3:
            continue
        if g.scalar(clip.input[1]) != 0.0 or g.scalar(clip.input[2]) != 6.0:
            continue
        mul = g.only_consumer(clip.output[0], "Mul")
        if mul is None or x not in mul.input:
            continue
        div = g.only_consumer(mul.output[0], "Div")
        if div is None or g.scalar(div.input[1]) != 6.0:
            continue
        gate = f"{div.output[0]}.gate"
        sigmoid = helper.make_node(
            "HardSigmoid", [x], [gate], alpha=1.0 / 6.0, beta=0.5, name=f"{gate}.node"
        )
        product = helper.make_node("Mul", [x, gate], [div.output[0]], name=f"{gate}.mul")
        at = g.nodes.index(add)
        for node in (add, clip, mul, div):
            g.nodes.remove(node)
        g.nodes[at:at] = [sigmoid, product]
        count += 1
    return count


def _fold_affine_conv(g: _Graph) -> int:
    from onnx import helper

    count = 0
    for node in list(g.nodes):
        if node not in g.nodes:
            continue
        for out in node.output:
            found = g.affine_after(out)
            if found is None:
                continue
            a, b, mul, add = found
            conv = g.only_consumer(add.output[0], "Conv")
            weights = g.conv_weights(conv) if conv is not None else None
            if conv is None or weights is None:
                continue
            attrs = {at.name: helper.get_attribute_value(at) for at in conv.attribute}
            if any(attrs.get("pads", [])) or attrs.get("auto_pad", b"NOTSET") != b"NOTSET":
                continue
            weight, bias = weights
            summed = weight.reshape(weight.shape[0], -1).sum(axis=1)
            g.set_conv_weights(conv, weight * a, bias + b * summed)
            g.bypass([mul, add], add.output[0], out)
            count += 1
    return count


def _affine_as_conv(g: _Graph) -> int:
    """``Mul(a) -> Add(b)`` on a convolution's output that could not be folded (it feeds a
    padded convolution) becomes a depthwise 1x1 ``Conv``: onnxruntime keeps that in its
    blocked (NCHWc) layout, where the two elementwise nodes made it reorder twice."""
    from onnx import helper

    count = 0
    producers = {out: n for n in g.nodes for out in n.output}
    for node in list(g.nodes):
        if node.op_type == "Conv":
            conv = node
        elif node.op_type == "Mul" and node.input[0] in producers:
            # x * HardSigmoid(x) after a convolution: the same channels.
            conv = producers[node.input[0]]
        else:
            continue
        weights = g.conv_weights(conv) if conv.op_type == "Conv" else None
        found = g.affine_after(node.output[0])
        if weights is None or found is None:
            continue
        a, b, mul, add = found
        channels = weights[0].shape[0]
        stem = f"{node.output[0]}.affine"
        g.new_initializers[f"{stem}.w"] = np.full((channels, 1, 1, 1), a, np.float32)
        g.new_initializers[f"{stem}.b"] = np.full(channels, b, np.float32)
        pointwise = helper.make_node(
            "Conv",
            [node.output[0], f"{stem}.w", f"{stem}.b"],
            [add.output[0]],
            group=channels,
            kernel_shape=[1, 1],
            name=f"{stem}.conv",
        )
        at = g.nodes.index(mul)
        g.nodes.remove(mul)
        g.nodes.remove(add)
        g.nodes.insert(at, pointwise)
        count += 1
    return count


def single_thread_session(model: bytes | Path) -> Any:
    """An onnxruntime CPU session on one thread, quiet (for probes and benchmarks)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _probe(model_bytes: bytes, shape: tuple[int, ...]) -> np.ndarray:
    session = single_thread_session(model_bytes)
    x = np.random.default_rng(20261128).random(shape, dtype=np.float32) * 2 - 1
    return np.asarray(session.run(None, {session.get_inputs()[0].name: x})[0])


def folded_model(source: Path, cache_dir: Path, probe_shape: tuple[int, ...]) -> Path:
    """The folded copy of ``source`` (made and checked on first use), or ``source`` itself
    when nothing folds or the folded model does not reproduce the original's outputs."""
    import onnx

    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = cache_dir / f"{source.stem}.{digest}.fold{REWRITE_VERSION}.onnx"
    if target.is_file():
        return target
    model = onnx.load_from_string(data)
    report = fold(model)
    if report.total == 0:
        return source
    folded = model.SerializeToString()
    diff = float(np.abs(_probe(data, probe_shape) - _probe(folded, probe_shape)).max())
    if not diff <= TOLERANCE:
        log.warning(
            "%s: folded model differs from the original by %.3g (> %g); using the original",
            source.name,
            diff,
            TOLERANCE,
        )
        return source
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(folded)
        os.replace(tmp, target)  # atomic: workers folding at once leave one whole file
    except OSError as exc:
        log.warning(
            "%s: cannot keep the folded model in %s (%s); using the original",
            source.name,
            cache_dir,
            exc,
        )
        return source
    log.info("%s: %s (max diff %.2g)", source.name, report, diff)
    return target


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/inspectpipe/models`` (``~/.cache/...`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "inspectpipe" / "models"
