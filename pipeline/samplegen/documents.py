"""Document photos: 行驶证 (0201), 交强险保单 (0203), 检验报告 (0204), 查验记录表 (0205).

Each is drawn flat as a printed form with the vehicle's data, then photographed: placed with
perspective on a counter, lit unevenly, with sensor noise.
"""

from __future__ import annotations

from datetime import date, timedelta

import cv2
import numpy as np
from PIL import Image, ImageDraw

from pipeline.records import Vehicle
from pipeline.samplegen import effects
from pipeline.samplegen.fonts import PRINT_FACES, FontFace, pick
from pipeline.samplegen.scene import warp_onto

TYPE_NAMES = {
    "K33": "小型轿车",
    "K31": "小型普通客车",
    "K11": "大型普通客车",
    "H31": "轻型普通货车",
    "H11": "重型普通货车",
}
USE_NAMES = {"A": "非营运", "B": "公路客运", "C": "公交客运", "F": "货运"}
OWNERS = ("张伟", "王芳", "李强", "刘洋", "烟台顺达物流有限公司", "陈静", "山东通达客运有限公司")
INSURERS = (
    "中国人民财产保险股份有限公司烟台市分公司",
    "中国平安财产保险股份有限公司山东分公司",
    "中国太平洋财产保险股份有限公司烟台中心支公司",
)
Row = list[tuple[str, str]]


def type_name(vehicle_type: str) -> str:
    """Chinese name of a vehicle type code, or the code."""
    return TYPE_NAMES.get(vehicle_type, vehicle_type)


def render_document(
    code: str, vehicle: Vehicle, on: date, station_id: str, rng: np.random.Generator
) -> np.ndarray:
    """The flat printed document for a code (0201, 0203, 0204, 0205), BGR."""
    face = pick(PRINT_FACES, rng)
    owner = OWNERS[int(rng.integers(len(OWNERS)))]
    vt = f"{type_name(vehicle.vehicle_type)}"
    use = USE_NAMES.get(vehicle.use, vehicle.use)
    reg = vehicle.registered_on or on - timedelta(days=900)
    if code == "0201":
        rows: list[Row] = [
            [("号牌号码", vehicle.plate), ("车辆类型", vt)],
            [("所有人", owner)],
            [("住址", "山东省烟台市芝罘区南大街" + str(int(rng.integers(1, 300))) + "号")],
            [("使用性质", use), ("品牌型号", "大众汽车牌SVW7" + str(int(rng.integers(100, 999))))],
            [("车辆识别代号", vehicle.vin)],
            [("发动机号码", "".join(str(d) for d in rng.integers(0, 10, 8)))],
            [("注册日期", reg.isoformat()), ("发证日期", reg.isoformat())],
        ]
        return _form(
            "中华人民共和国机动车行驶证",
            rows,
            face,
            (1100, 760),
            (232, 238, 226),
            rng,
            seal="烟台市公安局交通警察支队",
        )
    if code == "0203":
        start = on - timedelta(days=int(rng.integers(10, 300)))
        end = start + timedelta(days=364)
        rows = [
            [("被保险人", owner)],
            [("号牌号码", vehicle.plate), ("机动车种类", vt)],
            [("使用性质", use)],
            [("识别代码(车架号)", vehicle.vin)],
            [("保险期间", f"自{start:%Y年%m月%d日}零时起 至{end:%Y年%m月%d日}二十四时止")],
            [("保险费合计", f"人民币 {int(rng.choice([665, 950, 1100, 2250]))}.00 元")],
            [("保险人", INSURERS[int(rng.integers(len(INSURERS)))])],
        ]
        return _form(
            "机动车交通事故责任强制保险单",
            rows,
            face,
            (1240, 820),
            (226, 240, 232),
            rng,
            seal="保险专用章",
        )
    title = "机动车安全技术检验报告" if code == "0204" else "机动车查验记录表"
    rows = [
        [("号牌号码", vehicle.plate), ("车辆类型", vt)],
        [("车辆识别代号", vehicle.vin)],
        [("使用性质", use), ("检验日期", on.isoformat())],
        [("检验机构", station_id)],
    ]
    items = (
        "号牌号码/车辆类型",
        "车辆品牌/型号",
        "车辆识别代号",
        "车身颜色",
        "外廓尺寸",
        "轮胎规格",
    )
    rows += [[(f"{i + 1}. {name}", "√ 合格")] for i, name in enumerate(items)]
    rows.append([("结论", "合格"), ("查验员", "")])
    return _form(title, rows, face, (1000, 1300), (246, 246, 244), rng, seal="检验专用章")


def photograph_document(
    doc: np.ndarray, rng: np.random.Generator, size: tuple[int, int]
) -> np.ndarray:
    """The document photographed on a counter: perspective, uneven light, noise."""
    w, h = size
    counter = np.array(
        rng.choice([(60, 90, 130), (90, 90, 92), (150, 150, 148), (40, 60, 80)]), np.float32
    )
    texture = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 3) * 8
    scene = np.clip(counter + texture[..., None], 0, 255).astype(np.uint8)
    dh, dw = doc.shape[:2]
    fit = min(w * 0.9 / dw, h * 0.92 / dh) * rng.uniform(0.85, 1.0)
    cy = h / 2
    if dh > dw:  # a tall form is shot close, its top half (the vehicle data) filling the frame
        fit = w * rng.uniform(0.5, 0.62) / dw
        cy = h * 0.04 + dh * fit / 2
    pw, ph = dw * fit, dh * fit
    quad = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]])
    quad += rng.normal(0, 0.025, quad.shape) * (pw, ph)
    rot = np.radians(rng.uniform(-5, 5))
    quad = quad @ np.array([[np.cos(rot), np.sin(rot)], [-np.sin(rot), np.cos(rot)]])
    warp_onto(scene, doc, quad + np.array((w / 2, cy)))
    return effects.photograph(scene, rng, noise=2.5)


def _form(
    title: str,
    rows: list[Row],
    face: FontFace,
    size: tuple[int, int],
    paper: tuple[int, int, int],
    rng: np.random.Generator,
    seal: str,
) -> np.ndarray:
    w, h = size
    img = Image.fromarray(_paper(w, h, paper, rng)[..., ::-1].copy())
    draw = ImageDraw.Draw(img)
    tf = face.at(round(w * 0.042))
    tw = draw.textlength(title, font=tf)
    draw.text(((w - tw) / 2, h * 0.04), title, font=tf, fill=(20, 20, 20))
    body = face.at(round(w * 0.026))
    x0, x1 = round(w * 0.06), round(w * 0.94)
    y = round(h * 0.04 + w * 0.08)
    row_h = min(round(w * 0.07), (h - y - 40) // max(1, len(rows)))
    ink = (30, 30, 40)
    for row in rows:
        draw.rectangle((x0, y, x1, y + row_h), outline=ink, width=2)
        cell_w = (x1 - x0) / len(row)
        for j, (label, value) in enumerate(row):
            cx = x0 + j * cell_w
            if j:
                draw.line((cx, y, cx, y + row_h), fill=ink, width=2)
            ty = y + (row_h - body.size) / 2 - 2
            draw.text((cx + 12, ty), label, font=body, fill=ink)
            lw = draw.textlength(label, font=body) + 36
            draw.line((cx + lw - 12, y, cx + lw - 12, y + row_h), fill=ink, width=1)
            draw.text((cx + lw, ty), value, font=body, fill=(10, 10, 10))
        y += row_h
    _seal(draw, (round(w * 0.78), min(h - 90, y + 10)), round(w * 0.08), seal, face)
    return np.asarray(img)[..., ::-1].copy()


def _paper(w: int, h: int, color: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """Security paper: base tint with fine guilloche waves and fibre noise (BGR)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    f1, f2 = rng.uniform(0.02, 0.05, 2)
    wave = (np.sin(xx * f1 + 8 * np.sin(yy * f2)) + 1) * 0.5
    base = np.array(color, np.float32) - wave[..., None] * np.array((10, 4, 10), np.float32)
    base += rng.normal(0, 2, (h, w, 1)).astype(np.float32)
    return np.clip(base, 0, 255).astype(np.uint8)


def _seal(draw: ImageDraw.ImageDraw, c: tuple[int, int], r: int, text: str, face: FontFace) -> None:
    """A red round official seal with a star and its text across the middle."""
    red = (205, 40, 40)
    draw.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), outline=red, width=max(3, r // 14))
    star = [
        (
            c[0] + r * 0.3 * np.cos(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4),
            c[1] + r * 0.3 * np.sin(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4),
        )
        for i, a in enumerate(np.linspace(0, 2 * np.pi, 11)[:-1])
    ]
    draw.polygon(star, fill=red)
    f = face.at(max(8, round(r * 1.6 / max(4, len(text)))))
    tw = draw.textlength(text, font=f)
    draw.text((c[0] - tw / 2, c[1] + r * 0.4), text, font=f, fill=red)
