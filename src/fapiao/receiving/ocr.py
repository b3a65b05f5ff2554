"""OCR of invoice pictures and scanned pages with RapidOCR (PaddleOCR's models on onnxruntime,
shipped inside the ``rapidocr`` package: nothing is downloaded), on one thread.

A photo is seldom straight: the boxes OCR finds are turned by the photo's skew, so the words
are turned back by the boxes' median angle before the layout reads them (rows and columns are
then level again). The QR code is read from the same picture by zxing-cpp, which minds no
rotation.

The text detector's network runs on OpenVINO at full precision (f32), about three times as
fast as on onnxruntime with the same boxes; the recogniser stays on onnxruntime (OpenVINO is no
faster there). OpenVINO's default on processors with bfloat16 units is to compute in bfloat16,
which misreads digits: the precision is set, never left to the default."""

from __future__ import annotations

import math
import statistics
import threading
from functools import cache
from pathlib import Path
from typing import Any

from fapiao.domain.facewords import Word

#: the longest side a picture is read at (phone photos are larger; the text stays legible)
MAX_SIDE = 1280
DETECTOR = "PP-OCRv6_det_small.onnx"


class FullPrecisionNet:
    """An ONNX network compiled by OpenVINO for the CPU in f32 on one thread, called as
    rapidocr calls its sessions (a batch in, the first output out); one call at a time."""

    def __init__(self, model: Path) -> None:
        import openvino

        compiled = openvino.Core().compile_model(
            str(model), "CPU", {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": 1}
        )
        self.precision = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        self._request = compiled.create_infer_request()
        self._lock = threading.Lock()

    def __call__(self, batch: Any) -> Any:
        with self._lock:
            self._request.infer([batch])
            return self._request.get_output_tensor().data.copy()


def _models() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def engine_params(side: int) -> dict[str, Any]:
    """rapidocr's settings for pictures read at ``side`` pixels on their long side."""
    models = _models()
    return {
        "Global.log_level": "error",
        "Global.max_side_len": side,
        "Det.model_path": str(models / DETECTOR),
        "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
        "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        # one line at a time (a batch pads every line to its widest: work thrown away) and
        # the memory arena kept between runs: about a sixth less time than the defaults
        "Rec.rec_batch_num": 1,
        "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
    }


@cache
def engine(side: int) -> Any:
    """The OCR engine for ``side`` (one per process), its detector on OpenVINO in f32."""
    import rapidocr

    made = rapidocr.RapidOCR(params=engine_params(side))
    made._load_det_model().session = FullPrecisionNet(_models() / DETECTOR)
    return made


def _skew(quads: list[list[list[float]]]) -> float:
    """The median angle of the boxes' top edges (radians), from boxes wider than tall."""
    angles = []
    for quad in quads:
        (x0, y0), (x1, y1) = quad[0], quad[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(quad[3][0] - x0, quad[3][1] - y0)
        if width > 2 * height:
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(angles) if angles else 0.0


#: words only an invoice prints: where they stand is where the invoice is in a screenshot
_LANDMARKS = ("发票号码", "名称", "合计", "价税合计", "开票人", "纳税人识别号", "税额", "开票日期")


def _read(
    picture: Any, side: int = MAX_SIDE
) -> tuple[list[list[list[float]]], list[str], list[float]]:
    import numpy

    found = engine(side)(numpy.asarray(picture.convert("RGB")))
    if found.boxes is None or not len(found.boxes):
        return [], [], []
    quads = [[list(map(float, point)) for point in box] for box in found.boxes]
    return quads, [str(t) for t in found.txts], [float(s) for s in found.scores]


def _region(quads: list[list[list[float]]], texts: list[str], size: tuple[int, int]) -> Any:
    """The box around the invoice's landmarks, with a margin; None when there are too few."""
    marks = [q for q, t in zip(quads, texts, strict=True) if any(m in t for m in _LANDMARKS)]
    if len(marks) < 4:
        return None
    xs = [p[0] for q in marks for p in q]
    ys = [p[1] for q in marks for p in q]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    return (
        max(0, int(min(xs) - 0.1 * width)),
        max(0, int(min(ys) - 0.15 * height)),
        min(size[0], int(max(xs) + 0.1 * width)),
        min(size[1], int(max(ys) + 0.15 * height)),
    )


def _first(
    quads: list[list[list[float]]], texts: list[str], marks: tuple[str, ...], axis: int
) -> float | None:
    """Where the first of the words holding one of ``marks`` begins along ``axis`` (0 x, 1 y)."""
    found = [q[0][axis] for q, t in zip(quads, texts, strict=True) if any(m in t for m in marks)]
    return min(found) if found else None


_TOP, _BOTTOM = ("发票号码", "开票日期"), ("价税合计", "开票人")


def _standing(quads: list[list[list[float]]]) -> bool:
    """Whether most boxes are taller than wide: the lines run up or down, the page on its side."""
    tall = sum(abs(q[3][1] - q[0][1]) > abs(q[1][0] - q[0][0]) for q in quads)
    return bool(quads) and tall > len(quads) / 2


def _upright(quads: list[list[list[float]]], texts: list[str]) -> bool | None:
    """Whether the page stands upright: its lines level and its number (printed at the top)
    above its totals and issuer (at the bottom); None when the words OCR read do not tell."""
    if _standing(quads):
        return False
    number, bottom = _first(quads, texts, _TOP, 1), _first(quads, texts, _BOTTOM, 1)
    return None if number is None or bottom is None else number < bottom


def _turns(quads: list[list[list[float]]], texts: list[str]) -> tuple[int, ...]:
    """The quarter turns worth trying when a page does not stand upright: a quarter either way
    when its lines stand (the way its top lies first: OCR reads turned lines too), a half turn
    when they are level but it reads upside down."""
    if _standing(quads):
        number, bottom = _first(quads, texts, _TOP, 0), _first(quads, texts, _BOTTOM, 0)
        top_left = number is not None and bottom is not None and number < bottom
        return (270, 90) if top_left else (90, 270)
    return (180,) if _upright(quads, texts) is False else ()


def ocr_words(picture: Any, *, turn: int = 0) -> list[Word]:
    """The words OCR reads in ``picture`` (a PIL image), levelled, each with its score. The
    picture is first turned by ``turn`` (what its QR code tells); a page still lying on its
    side or upside down is turned and read again. An invoice small inside a larger picture (a
    screenshot) is found (at twice the size when it is too small to tell at first) and read
    again on its own."""
    if turn:
        picture = picture.rotate(turn, expand=True)
    quads, texts, scores = _read(picture)
    for again in _turns(quads, texts):
        turned = picture.rotate(again, expand=True)
        read = _read(turned)
        if _upright(read[0], read[1]):
            picture, (quads, texts, scores) = turned, read
            break
    region = _region(quads, texts, picture.size)
    if region is None and max(picture.size) > 1.5 * MAX_SIDE:  # small in a large screenshot
        quads, texts, scores = _read(picture, 2 * MAX_SIDE)
        region = _region(quads, texts, picture.size)
    if region is not None:
        left, top, right, bottom = region
        if (right - left) * (bottom - top) < 0.5 * picture.size[0] * picture.size[1]:
            quads, texts, scores = _read(picture.crop(region))
    if not quads:
        return []
    angle = _skew(quads)
    cos, sin = math.cos(-angle), math.sin(-angle)
    words = []
    for quad, text, score in zip(quads, texts, scores, strict=True):
        points = [(x * cos - y * sin, x * sin + y * cos) for x, y in quad]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        words.append(Word(text, min(xs), min(ys), max(xs), max(ys), score))
    return words
