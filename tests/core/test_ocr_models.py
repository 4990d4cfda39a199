"""The exact folding of the PP-OCR graphs (pipeline.ocr_models): same outputs, fewer nodes."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from pipeline import ocr_models
from pipeline.ocr import RapidOcrEngine, _model_paths
from pipeline.vin.reading import read_vin

PROJECT = Path(__file__).resolve().parents[2]


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": x})[0])


def _const(name: str, value: float) -> onnx.NodeProto:
    return helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.array([value], np.float32))
    )


def _toy_model() -> onnx.ModelProto:
    """Conv -> affine -> hard-swish (Paddle's four nodes) -> affine -> 1x1 Conv -> affine ->
    3x3 padded Conv: the patterns of PP-LCNetV3, with arbitrary scalars."""
    rng = np.random.default_rng(3)
    inits = [
        numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(size=4).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(size=(5, 4, 1, 1)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(size=(2, 5, 3, 3)).astype(np.float32), "w3"),
    ]
    nodes = [
        _const("a1", 1.7),
        _const("b1s", 0.4),
        _const("three", 3.0),
        _const("six", 6.0),
        helper.make_node(
            "Constant", [], ["lo"], value=numpy_helper.from_array(np.array(0, np.float32))
        ),
        helper.make_node(
            "Constant", [], ["hi"], value=numpy_helper.from_array(np.array(6, np.float32))
        ),
        _const("a2", 0.3),
        _const("b2s", -0.2),
        _const("a3", 0.8),
        _const("b3s", 0.5),
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["a1", "c1"], ["m1"]),  # constant first, as Paddle writes it
        helper.make_node("Add", ["m1", "b1s"], ["h"]),
        helper.make_node("Add", ["h", "three"], ["h3"]),
        helper.make_node("Clip", ["h3", "lo", "hi"], ["hc"]),
        helper.make_node("Mul", ["h", "hc"], ["hm"]),
        helper.make_node("Div", ["hm", "six"], ["hs"]),
        helper.make_node("Mul", ["a2", "hs"], ["m2"]),
        helper.make_node("Add", ["m2", "b2s"], ["p"]),
        helper.make_node("Conv", ["p", "w2"], ["c2"]),  # 1x1, no padding: folds
        helper.make_node("Mul", ["a3", "c2"], ["m3"]),
        helper.make_node("Add", ["m3", "b3s"], ["q"]),
        helper.make_node("Relu", ["q"], ["r"]),
        helper.make_node("Mul", ["a3", "r"], ["m4"]),
        helper.make_node("Add", ["m4", "b3s"], ["s"]),
        helper.make_node("Conv", ["s", "w3"], ["y"], pads=[1, 1, 1, 1]),  # padded: kept
    ]
    graph = helper.make_graph(
        nodes,
        "toy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 9, 11])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 9, 11])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])


def test_fold_keeps_the_arithmetic_and_leaves_padded_convolutions_alone() -> None:
    model = _toy_model()
    x = np.random.default_rng(4).normal(size=(1, 3, 9, 11)).astype(np.float32) * 3
    before = _run(model, x)
    report = ocr_models.fold(model)
    onnx.checker.check_model(model)
    # c1 and c2 each absorb the affine behind them; the hard-swish becomes two nodes; the
    # affine before the 1x1 conv folds into it, the one before the padded conv stays.
    assert (report.conv_affine, report.hardswish, report.affine_conv) == (2, 1, 1)
    ops = [n.op_type for n in model.graph.node if n.op_type != "Constant"]
    assert ops == ["Conv", "HardSigmoid", "Mul", "Conv", "Relu", "Mul", "Add", "Conv"]
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-5, atol=1e-5)


def test_wheel_models_fold_and_read_the_same(tmp_path: Path) -> None:
    plain = _model_paths(False, None)
    folded = _model_paths(True, tmp_path)
    for part in ("Det", "Rec"):
        assert folded[part].parent == tmp_path and folded[part] != plain[part]
        model = onnx.load(str(folded[part]))
        ops = {n.op_type for n in model.graph.node}
        assert "HardSigmoid" in ops and "Clip" not in ops, part
        # The recogniser's dictionary lives in the model's metadata and must survive.
        names = {p.key for p in model.metadata_props}
        assert names == {p.key for p in onnx.load(str(plain[part])).metadata_props}
    # Cached: a second engine reuses the files instead of folding again.
    stamp = {p: folded[p].stat().st_mtime_ns for p in folded}
    assert {p: f.stat().st_mtime_ns for p, f in _model_paths(True, tmp_path).items()} == stamp

    image_path = PROJECT / "samples" / "packages" / "14-clean" / "0113.jpg"
    import cv2

    image = cv2.imread(str(image_path))
    fast = RapidOcrEngine(cache_dir=tmp_path)
    slow = RapidOcrEngine(fold_models=False)
    assert fast.model_paths == folded and slow.model_paths == plain
    boxes = slow.detect(image, max_side=640)
    assert boxes and len(fast.detect(image, max_side=640)) == len(boxes)
    a, b = fast.recognize(image, boxes), slow.recognize(image, boxes)
    assert [line.text for line in a] == [line.text for line in b]
    assert max(abs(x.score - y.score) for x, y in zip(a, b, strict=True)) < 1e-3
    assert read_vin(image, fast).vin == read_vin(image, slow).vin != ""


def test_a_fold_that_changes_outputs_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    source = _model_paths(False, None)["Rec"]
    monkeypatch.setattr(ocr_models, "TOLERANCE", -1.0)  # no difference can pass
    with caplog.at_level(logging.WARNING, logger="pipeline.ocr_models"):
        got = ocr_models.folded_model(source, tmp_path, (1, 3, 48, 64))
    assert got == source
    assert "differs from the original" in caplog.text
    assert not list(tmp_path.iterdir())
