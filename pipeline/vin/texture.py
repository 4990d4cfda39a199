"""Rubbing textures and photo conditions for the evaluation generator.

Two unrelated rubbing renderings: ``carbon`` (light glyphs on a dark carbon film, grainy with
uneven coverage) and ``pencil`` (dark graphite hatching on light paper). The photo step adds
what a station's camera does: placement on a desk, perspective, lighting, blur, noise, damage
and JPEG compression.
"""

from __future__ import annotations

import cv2
import numpy as np


def _lowfreq(shape: tuple[int, int], rng: np.random.Generator, scale: int) -> np.ndarray:
    """Smooth noise in [0, 1] with features about ``scale`` px wide."""
    h, w = shape
    small = rng.random((max(2, h // scale + 2), max(2, w // scale + 2))).astype(np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(big.min()), float(big.max())
    return (big - lo) / max(hi - lo, 1e-6)


def _streaks(
    shape: tuple[int, int], rng: np.random.Generator, angle: float, length: int
) -> np.ndarray:
    """Directional texture like rubbing strokes, zero-mean, about unit variance."""
    noise: np.ndarray = rng.normal(0, 1, shape).astype(np.float32)
    k: np.ndarray = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, rot, (length, length))
    kernel = (k / max(float(k.sum()), 1e-6)).astype(np.float32)
    out = cv2.filter2D(noise, -1, kernel)
    return out / max(float(out.std()), 1e-6)


def rub(depth: np.ndarray, style: str, rng: np.random.Generator) -> np.ndarray:
    """Turn a stamp depth mask into a grey rubbing (uint8) of the given style."""
    shape = depth.shape
    edge_soft = float(rng.uniform(0.6, 1.6))
    d = cv2.GaussianBlur(depth, (0, 0), edge_soft)
    cover = 0.55 + 0.45 * _lowfreq(shape, rng, int(rng.integers(20, 60)))
    grain = rng.normal(0, 1, shape).astype(np.float32)
    streak = _streaks(shape, rng, float(rng.uniform(-40, 40)), int(rng.integers(5, 15)))
    if style == "carbon":
        bg = float(rng.uniform(25, 80))
        fg = float(rng.uniform(150, 235))
        img = bg + (fg - bg) * d * cover
        img += grain * rng.uniform(4, 12) + streak * rng.uniform(3, 10)
    elif style == "pencil":
        paper = float(rng.uniform(190, 245))
        lead = float(rng.uniform(40, 110))
        # Graphite lands on the surface around the glyphs; the punched strokes stay dark
        # because the pencil is rubbed on the reverse side of thin paper (dark-on-light).
        img = paper - (paper - lead) * d * cover
        img += streak * rng.uniform(6, 16) * (0.3 + d) + grain * rng.uniform(2, 8)
    else:
        raise ValueError(f"unknown rubbing style {style!r}")
    return np.clip(img, 0, 255).astype(np.uint8)


def photograph(film: np.ndarray, rng: np.random.Generator, damage: bool) -> np.ndarray:
    """A BGR photo of a grey rubbing film: desk, perspective, light, blur, noise, damage."""
    if damage:
        film = _damage(film, rng)
    fh, fw = film.shape
    margin = rng.uniform(0.05, 0.2, 4)
    out_w = int(rng.uniform(700, 1400))
    scale = out_w / (fw * (1 + margin[0] + margin[1]))
    out_h = int(fh * scale * (1 + margin[2] + margin[3]))
    x0, y0 = margin[0] * fw * scale, margin[2] * fh * scale
    src = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float32)
    corners = [
        [x0, y0],
        [x0 + fw * scale, y0],
        [x0 + fw * scale, y0 + fh * scale],
        [x0, y0 + fh * scale],
    ]
    dst = np.array(corners, np.float32)
    dst += rng.uniform(-0.04, 0.04, (4, 2)).astype(np.float32) * np.array(
        [fw * scale, fh * scale], np.float32
    )
    ang = np.deg2rad(rng.uniform(-4, 4))
    c = dst.mean(axis=0)
    r = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]], np.float32)
    dst = ((dst - c) @ r.T + c).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    desk = float(rng.uniform(90, 200))
    gray = cv2.warpPerspective(film, m, (out_w, out_h), flags=cv2.INTER_AREA, borderValue=desk)
    img: np.ndarray = gray.astype(np.float32)
    light = 0.65 + 0.6 * _lowfreq(img.shape, rng, max(out_w // 2, 2))
    img = img * light
    sigma = float(rng.uniform(0, 1.8))
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.normal(0, rng.uniform(1, 6), img.shape).astype(np.float32)
    tint = rng.uniform(0.85, 1.1, 3).astype(np.float32)
    bgr = np.clip(img[:, :, None] * tint[None, None, :], 0, 255).astype(np.uint8)
    return bgr


def _damage(film: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scratches, a smudge and a fold line; partial, as on a worn but usable rubbing."""
    out = film.astype(np.float32)
    h, w = film.shape
    med = float(np.median(out))
    for _ in range(int(rng.integers(1, 4))):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(p1[0] + rng.integers(-w // 4, w // 4)), int(p1[1] + rng.integers(-h, h)))
        val = float(rng.choice([med * 0.75, min(255.0, med * 1.25 + 15)]))
        cv2.line(out, p1, p2, val, 1, cv2.LINE_AA)
    if rng.random() < 0.5:
        blot = np.zeros_like(out)
        centre = (int(rng.integers(0, w)), int(rng.integers(h // 4, 3 * h // 4)))
        axes = (int(rng.integers(h // 6, h // 3)), int(rng.integers(h // 8, h // 4)))
        cv2.ellipse(blot, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        blot = cv2.GaussianBlur(blot, (0, 0), 5) * float(rng.uniform(0.15, 0.35))
        out = out * (1 - blot) + med * blot
    if rng.random() < 0.4:
        x = int(rng.integers(w // 6, 5 * w // 6))
        cv2.line(
            out, (x, 0), (x + int(rng.integers(-h // 3, h // 3)), h), med * 1.15, 2, cv2.LINE_AA
        )
    return np.clip(out, 0, 255).astype(np.uint8)


def turned_photo(image: np.ndarray, degrees: float) -> np.ndarray:
    """The photo turned by ``degrees`` (counter-clockwise) on a larger desk of its border's
    colour, so the whole film stays in the frame (90, 180, 270: exactly, a quarter turn
    making a portrait photo of a landscape one)."""
    quarter = {
        90: cv2.ROTATE_90_COUNTERCLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_CLOCKWISE,
    }
    if degrees % 90 == 0 and degrees % 360:
        return cv2.rotate(image, quarter[int(degrees % 360)])
    pad = image.shape[1] // 6
    rim = np.concatenate([image[0], image[-1]]).reshape(
        -1, image.shape[2] if image.ndim == 3 else 1
    )
    desk = [int(v) for v in np.median(rim, axis=0)]
    big = cv2.copyMakeBorder(image, pad, pad, 20, 20, cv2.BORDER_CONSTANT, value=desk)
    h, w = big.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(big, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=desk)


def keystoned_photo(image: np.ndarray, k: float) -> np.ndarray:
    """The photo as a camera above the film sees it: the top edge ``2 k`` of the width
    narrower (below it, ``k < 0``: the bottom edge narrower); the edges are continued."""
    h, w = image.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    top, bottom = max(k, 0.0) * w, max(-k, 0.0) * w
    dst = np.array([[top, 0], [w - top, 0], [w - bottom, h], [bottom, h]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def encode_jpeg(bgr: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an image."""
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


# Things done to a candidate photo after it was taken, for ``bench rubbing --disturb``: what
# a station's phone and desk do that the generator's photo step does not. Each draws from
# the rng it is given (the bench's own stream), so the pairs themselves stay the same.
FORM_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FORM_LINES = (
    "车辆识别代号拓印膜粘贴处",
    "机动车安全技术检验记录单 No.2026112800417",
    "检验机构：烟台市机动车检测站 检验员：张三 日期：2026-11-28",
    "号牌号码 鲁F12345 车辆类型 K33",
)


def shaken_photo(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Camera shake: a straight motion blur of 5-9 px, sideways or up and down."""
    length = int(rng.integers(5, 10))
    kernel = np.zeros((length, length), np.float32)
    if rng.random() < 0.5:
        kernel[length // 2, :] = 1.0 / length
    else:
        kernel[:, length // 2] = 1.0 / length
    return cv2.filter2D(image, -1, kernel)


def wrinkled_photo(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A film that does not lie flat: waves 0.3-0.7 photo widths long move it up and down
    by 1.5-3.5 px per 1000 px of width, and sideways by half that along its height."""
    h, w = image.shape[:2]
    amp = float(rng.uniform(1.5, 3.5)) * w / 1000
    wave = w * float(rng.uniform(0.3, 0.7))
    phase = float(rng.uniform(0, 2 * np.pi))
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_y = ys + amp * np.sin(2 * np.pi * xs / wave + phase)
    map_x = xs + 0.5 * amp * np.sin(4 * np.pi * ys / wave + phase)
    return cv2.remap(
        image,
        map_x.astype(np.float32),
        map_y.astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def glared_photo(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A flash or lamp reflected on a glossy film: a round highlight adding 40-90 grey
    levels at its centre, 0.1-0.25 photo widths wide, clipped at white."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = float(rng.uniform(0.2, 0.8)) * w, float(rng.uniform(0.2, 0.8)) * h
    r = float(rng.uniform(0.1, 0.25)) * w
    light = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r)) * float(rng.uniform(40, 90))
    if image.ndim == 3:
        light = light[..., None]
    return np.clip(image.astype(np.float32) + light, 0, 255).astype(np.uint8)


def on_form_photo(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The photographed film stuck on a printed form: a frame drawn close around it and a
    line of printed text above and below (Noto Sans CJK)."""
    from PIL import Image, ImageDraw, ImageFont

    h, w = image.shape[:2]
    top, bottom = int(h * rng.uniform(0.3, 0.6)), int(h * rng.uniform(0.3, 0.6))
    side = int(w * rng.uniform(0.02, 0.1))
    paper = tuple(int(v) for v in rng.integers(225, 250, 3))
    form = Image.new("RGB", (w + 2 * side, h + top + bottom), paper)
    draw = ImageDraw.Draw(form)
    font = ImageFont.truetype(FORM_FONT, max(8, int(h * rng.uniform(0.08, 0.14))))
    for y in (int(top * 0.3), h + top + int(bottom * 0.3)):
        line = FORM_LINES[int(rng.integers(len(FORM_LINES)))]
        draw.text(
            (side + int(rng.integers(0, max(w // 4, 1))), y), line, font=font, fill=(20, 20, 20)
        )
    draw.rectangle((side - 4, top - 4, side + w + 3, top + h + 3), outline=(30, 30, 30), width=2)
    out = np.array(form)[:, :, ::-1].copy()
    photo = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    out[top : top + h, side : side + w] = photo
    return out


DISTURBANCES = {
    "shake": shaken_photo,
    "wrinkle": wrinkled_photo,
    "glare": glared_photo,
    "form": on_form_photo,
}
