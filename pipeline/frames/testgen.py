"""Synthetic inspection clips for tests and benchmarks, with planted defects.

A :class:`Scene` is a textured bay (seeded shapes, gradients), a vehicle with a body, windows,
spoked wheels that turn as it rolls and a rendered plate (blue, CJK font), seen by a camera
that may shake, under lighting that may drift and flicker, with sensor noise. Defects are
planted on the rendered frame list (:func:`freeze`, :func:`replay`, :func:`loop`,
:func:`splice`) and written as a frame folder (JPEG, optional ``timestamps.json``) or a video.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@dataclass(frozen=True)
class Scene:
    """What to render; every random choice comes from ``seed``."""

    width: int = 640
    height: int = 480
    fps: float = 5.0
    seconds: float = 6.0
    speed: float = 40.0  # vehicle speed, px/s (0: parked)
    shake: float = 0.0  # camera shake amplitude, px
    noise: float = 2.0  # sensor noise sigma, gray levels
    lighting: float = 0.0  # slow brightness drift, relative amplitude
    flicker: float = 0.0  # frame-to-frame brightness jitter, relative
    plate: str | None = "鲁F12345"
    pause: tuple[float, float] | None = None  # the vehicle stands still from..to (seconds)
    seed: int = 0

    def position(self, t: float) -> float:
        """Distance the vehicle has rolled by time ``t`` (px)."""
        if self.pause is None or t <= self.pause[0]:
            return self.speed * t
        a, b = self.pause
        return self.speed * (a + max(0.0, t - b))

    def with_(self, **changes: object) -> Scene:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def plate_image(text: str, height: int = 40) -> np.ndarray | None:
    """A blue plate with white characters (BGR), or None when no CJK font is installed."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = next((f for f in FONTS if Path(f).exists()), None)
    if font_path is None:
        return None
    width = int(height * 3.4)
    img = Image.new("RGB", (width, height), (20, 70, 190))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(font_path, int(height * 0.72))
    box = draw.textbbox((0, 0), text, font=font)
    x = (width - (box[2] - box[0])) // 2 - box[0]
    y = (height - (box[3] - box[1])) // 2 - box[1]
    draw.rectangle((2, 2, width - 3, height - 3), outline=(240, 240, 240), width=2)
    draw.text((x, y), text, font=font, fill=(245, 245, 245))
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


def _background(s: Scene, rng: np.random.Generator, margin: int) -> np.ndarray:
    h, w = s.height + 2 * margin, s.width + 2 * margin
    base = np.linspace(70, 150, h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
    bg = cv2.cvtColor(base.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    for _ in range(40):
        color = tuple(int(c) for c in rng.integers(30, 220, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        kind = rng.integers(0, 3)
        if kind == 0:
            cv2.rectangle(
                bg,
                (x, y),
                (x + int(rng.integers(10, 120)), y + int(rng.integers(5, 60))),
                color,
                -1,
            )
        elif kind == 1:
            cv2.circle(bg, (x, y), int(rng.integers(4, 30)), color, -1)
        else:
            cv2.line(bg, (x, y), (int(rng.integers(0, w)), int(rng.integers(0, h))), color, 2)
    return cv2.GaussianBlur(bg, (3, 3), 0)


def _draw_vehicle(
    img: np.ndarray, s: Scene, x: float, plate: np.ndarray | None, color: tuple[int, int, int]
) -> None:
    w, h = s.width, s.height
    bw, bh = int(w * 0.45), int(h * 0.28)
    x0, y0 = int(x), int(h * 0.45)
    cv2.rectangle(img, (x0, y0), (x0 + bw, y0 + bh), color, -1)
    cv2.rectangle(img, (x0 + bw // 6, y0 - bh // 2), (x0 + bw * 5 // 6, y0), color, -1)
    cv2.rectangle(
        img, (x0 + bw // 5, y0 - bh // 2 + 6), (x0 + bw // 2 - 4, y0 - 4), (60, 40, 30), -1
    )
    cv2.rectangle(
        img, (x0 + bw // 2 + 4, y0 - bh // 2 + 6), (x0 + bw * 4 // 5, y0 - 4), (60, 40, 30), -1
    )
    r = bh // 3
    angle = x / max(1, r)  # wheels turn as the vehicle rolls
    for cx in (x0 + bw // 5, x0 + bw * 4 // 5):
        cy = y0 + bh
        cv2.circle(img, (cx, cy), r, (25, 25, 25), -1)
        cv2.circle(img, (cx, cy), r // 2, (170, 170, 170), -1)
        for k in range(5):
            a = angle + k * 2 * math.pi / 5
            cv2.line(
                img,
                (cx, cy),
                (int(cx + r / 2 * math.cos(a)), int(cy + r / 2 * math.sin(a))),
                (40, 40, 40),
                2,
            )
    if plate is not None:
        ph, pw = plate.shape[:2]
        px, py = x0 + (bw - pw) // 2, y0 + bh // 2 - ph // 2
        if px >= 0 and px + pw <= w and py >= 0 and py + ph <= h:
            img[py : py + ph, px : px + pw] = plate


def render(s: Scene) -> list[np.ndarray]:
    """The scene's frames (BGR uint8)."""
    rng = np.random.default_rng(s.seed)
    margin = math.ceil(s.shake) + 4
    bg = _background(s, rng, margin)
    plate = plate_image(s.plate, height=max(16, s.height // 12)) if s.plate else None
    color = tuple(int(c) for c in rng.integers(40, 230, 3))
    n = max(1, round(s.seconds * s.fps))
    x_start = s.width * 0.08
    frames = []
    for i in range(n):
        t = i / s.fps
        dx = dy = 0.0
        if s.shake:
            dx, dy = (float(v) for v in rng.normal(0, s.shake / 2, 2).clip(-s.shake, s.shake))
        world = bg.copy()
        view = world[margin : margin + s.height, margin : margin + s.width]
        _draw_vehicle(view, s, x_start + s.position(t), plate, color)  # type: ignore[arg-type]
        shift = np.array([[1, 0, margin + dx], [0, 1, margin + dy], [0, 0, 1]], dtype=np.float64)
        rot = np.asarray(cv2.getRotationMatrix2D((0, 0), 0.3 * dx / max(1.0, s.shake), 1.0))
        m = np.asarray(rot @ shift, dtype=np.float32)
        frame = cv2.warpAffine(
            world,
            m,
            (s.width, s.height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        gain = (
            1.0
            + s.lighting * math.sin(2 * math.pi * t / max(2.0, s.seconds))
            + s.flicker * float(rng.normal())
        )
        noise = rng.standard_normal(frame.shape, dtype=np.float32) * np.float32(s.noise)
        f = np.asarray(frame, dtype=np.float32) * gain + noise
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return frames


def freeze(frames: list[np.ndarray], start: int, length: int) -> list[np.ndarray]:
    """Frames ``start+1..start+length-1`` replaced by copies of frame ``start``."""
    out = list(frames)
    for i in range(start + 1, min(len(out), start + length)):
        out[i] = frames[start].copy()
    return out


def replay(frames: list[np.ndarray], src: int, length: int, dst: int) -> list[np.ndarray]:
    """Frames ``dst..dst+length-1`` overwritten by copies of ``src..src+length-1``."""
    out = list(frames)
    for k in range(length):
        if dst + k < len(out):
            out[dst + k] = frames[src + k].copy()
    return out


def loop(frames: list[np.ndarray], start: int, length: int) -> list[np.ndarray]:
    """The stretch ``start..start+length-1`` played twice in a row (the clip gets longer)."""
    seg = [f.copy() for f in frames[start : start + length]]
    return frames[: start + length] + seg + frames[start + length :]


def splice(
    frames: list[np.ndarray], other: list[np.ndarray], src: int, length: int, dst: int
) -> list[np.ndarray]:
    """Frames of another clip pasted over ``dst..``: footage reused from another inspection."""
    out = list(frames)
    for k in range(length):
        if dst + k < len(out):
            out[dst + k] = other[src + k].copy()
    return out


def write_folder(
    frames: list[np.ndarray],
    folder: Path,
    *,
    quality: int = 90,
    timestamps: list[float] | None = None,
) -> Path:
    """Write frames as ``000000.jpg``... (and ``timestamps.json`` when given)."""
    folder.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    for i, f in enumerate(frames):
        # The encoder is deterministic: copied frames become byte-identical files.
        _ok, buf = cv2.imencode(".jpg", f, params)
        (folder / f"{i:06d}.jpg").write_bytes(buf.tobytes())
    if timestamps is not None:
        (folder / "timestamps.json").write_text(json.dumps(timestamps))
    return folder


def write_video(frames: list[np.ndarray], path: Path, fps: float, fourcc: str = "mp4v") -> Path:
    """Encode frames as a video file OpenCV can read back."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {fourcc} video")
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@dataclass(frozen=True)
class Clip:
    """One evidence item of a generated package: frames written as a folder or a video."""

    code: str
    frames: list[np.ndarray]
    fps: float
    kind: str = "frames"  # or "video"
    timestamps: list[float] | None = None
    fourcc: str = "mp4v"


def write_package(
    root: Path,
    clips: list[Clip],
    *,
    inspection_id: str = "370600202611230001",
    plate: str = "鲁F12345",
    vin: str = "LSVAM4187C2184847",
) -> Path:
    """A package folder (``manifest.json`` + evidence) holding the given clips."""
    root.mkdir(parents=True, exist_ok=True)
    evidence: list[dict[str, Any]] = []
    for n, clip in enumerate(clips):
        if clip.kind == "video":
            name = f"{clip.code}_{n}.{'avi' if clip.fourcc == 'MJPG' else 'mp4'}"
            write_video(clip.frames, root / name, clip.fps, clip.fourcc)
            evidence.append({"code": clip.code, "file": name, "kind": "video"})
        else:
            name = f"{clip.code}_{n}/"
            write_folder(clip.frames, root / name, timestamps=clip.timestamps)
            evidence.append({"code": clip.code, "file": name, "kind": "frames", "fps": clip.fps})
    manifest = {
        "schema": "inspection/1",
        "inspection_id": inspection_id,
        "station_id": "3706000123",
        "lane": "1",
        "attempt": 1,
        "started_at": "2026-11-23T09:12:00+08:00",
        "finished_at": "2026-11-23T09:41:00+08:00",
        "vehicle": {
            "plate": plate,
            "plate_type": "02",
            "vin": vin,
            "vehicle_type": "K33",
            "use": "A",
            "registered_on": "2019-05-01",
        },
        "evidence": evidence,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return root
