"""The exact folding of the PP-OCR graphs (pipeline.ocr_models): same outputs, fewer nodes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
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


class _Toy:
    """Builds a graph in PP-LCNetV3's shapes: convolutions followed by scalar affines and
    Paddle's four-node hard-swish, with arbitrary weights and scalars."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(3)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.last = "x"
        self.channels = 3

    def _name(self, stem: str) -> str:
        return f"{stem}{len(self.nodes)}"

    def _scalar(self, value: float, shape: tuple[int, ...] = (1,)) -> str:
        name = self._name("k")
        array = np.full(shape, value, np.float32)
        self.nodes.append(
            helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array))
        )
        return name

    def _node(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = self._name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        self.last = out
        return out

    def conv(self, out_channels: int, k: int) -> _Toy:
        w, b = self._name("w"), self._name("b")
        shape = (out_channels, self.channels, k, k)
        self.inits.append(numpy_helper.from_array(self.rng.normal(size=shape).astype("f4"), w))
        self.inits.append(
            numpy_helper.from_array(self.rng.normal(size=out_channels).astype("f4"), b)
        )
        pad = k // 2
        self._node("Conv", [self.last, w, b], pads=[pad] * 4)
        self.channels = out_channels
        return self

    def affine(self) -> _Toy:
        a, b = self.rng.uniform(0.2, 2.0), self.rng.uniform(-0.5, 0.5)
        self._node("Mul", [self._scalar(a), self.last])  # constant first, as Paddle writes it
        self._node("Add", [self.last, self._scalar(b)])
        return self

    def hardswish(self) -> _Toy:
        x = self.last
        plus = self._node("Add", [x, self._scalar(3.0)])
        clip = self._node("Clip", [plus, self._scalar(0.0, ()), self._scalar(6.0, ())])
        self._node("Mul", [x, clip])
        self._node("Div", [self.last, self._scalar(6.0)])
        return self

    def relu(self) -> _Toy:
        self._node("Relu", [self.last])
        return self

    def model(self) -> onnx.ModelProto:
        self.nodes.append(helper.make_node("Identity", [self.last], ["y"]))
        graph = helper.make_graph(
            self.nodes,
            "toy",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 9, 11])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, self.channels, 9, 11])],
            self.inits,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])


def _toy_model() -> onnx.ModelProto:
    toy = _Toy().conv(4, 3).affine().hardswish().affine()  # folds into the 1x1 conv next
    toy.conv(5, 1).affine().hardswish().affine()  # feeds a padded conv: a pointwise conv
    toy.conv(6, 3).relu().affine()  # after a Relu, before a padded conv: kept
    return toy.conv(2, 3).model()


def test_fold_keeps_the_arithmetic_and_leaves_padded_convolutions_alone() -> None:
    model = _toy_model()
    x = np.random.default_rng(4).normal(size=(1, 3, 9, 11)).astype(np.float32) * 3
    before = _run(model, x)
    report = ocr_models.fold(model)
    onnx.checker.check_model(model)
    assert report == ocr_models.FoldReport(
        conv_affine=2, hardswish=2, affine_conv=1, affine_pointwise=1
    )
    ops = [n.op_type for n in model.graph.node if n.op_type != "Constant"]
    assert ops == [
        "Conv",  # absorbed the affine behind it
        "HardSigmoid",
        "Mul",  # x * HardSigmoid(x): the hard-swish
        "Conv",  # 1x1: absorbed the affines before and behind it
        "HardSigmoid",
        "Mul",
        "Conv",  # the affine before a padded conv, as a depthwise 1x1 conv
        "Conv",
        "Relu",
        "Mul",  # after a Relu, before a padded conv: left as it was
        "Add",
        "Conv",
        "Identity",
    ]
    after = _run(model, x)
    assert after.shape == before.shape
    assert np.abs(after - before).max() <= 1e-5 * np.abs(before).max()


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

    image = cv2.imread(str(PROJECT / "samples" / "packages" / "14-clean" / "0113.jpg"))
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


def test_bench_ocr_prints_both_graphs_on_the_same_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import main

    monkeypatch.setenv("INSPECTPIPE_OCR_MODEL_CACHE", str(tmp_path))
    assert main(["bench", "ocr", "--repeat", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["inputs"]) == {"det 640", "det 960", "rec 48x320", "rec 48x480"}
    assert all(Path(p).parent == tmp_path for p in out["models"].values())
    for figures in out["inputs"].values():
        assert figures["wheel_ms"] > 0 and figures["folded_ms"] > 0
        assert figures["max_output_diff"] < 1e-3


def test_an_unwritable_cache_falls_back_to_the_wheel_models(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="pipeline.ocr_models"):
        paths = _model_paths(True, blocked / "models")
    assert paths == _model_paths(False, None)
    assert "cannot keep the folded model" in caplog.text


def test_a_damaged_cached_model_falls_back_to_the_wheel_models(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folded = _model_paths(True, tmp_path)
    data = folded["Rec"].read_bytes()
    folded["Rec"].write_bytes(data[: len(data) // 3])  # cut short, as by a failing disk
    with caplog.at_level(logging.WARNING, logger="pipeline.ocr"):
        engine = RapidOcrEngine(cache_dir=tmp_path)
    assert engine.model_paths == _model_paths(False, None)
    assert "do not load" in caplog.text
    assert not folded["Rec"].exists()  # dropped: the next start folds again
    assert _model_paths(True, tmp_path)["Rec"].stat().st_size == len(data)
    image = cv2.imread(str(PROJECT / "samples" / "packages" / "14-clean" / "0113.jpg"))
    assert read_vin(image, engine).readable


def test_the_engines_sessions_keep_the_memory_arena_and_rapidocr_is_left_as_it_was() -> None:
    from rapidocr_onnxruntime.utils import infer_engine

    engine = RapidOcrEngine()
    det = engine._engine.text_det.infer.session
    rec = engine._engine.text_rec.session.session
    assert det.get_session_options().enable_cpu_mem_arena
    assert rec.get_session_options().enable_cpu_mem_arena
    # Only the engine's construction is affected: sessions RapidOCR makes later are its own.
    assert not infer_engine.OrtInferSession._init_sess_opts({}).enable_cpu_mem_arena
