"""Vehicle and test-bay photos (0111, 0112, 0158, 0321, 0322, 0351) and frame sequences.

A :class:`Shot` fixes the camera for a photo type; :func:`render_vehicle_photo` draws the bay,
the test equipment of that bay and the vehicle with its plate, and reports where the plates
landed in the image so tests can crop them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from pipeline.samplegen.fonts import FontFace
from pipeline.samplegen.scene import Bay, Camera, orbit_camera, render_bay, warp_onto
from pipeline.samplegen.shapes import Face, box
from pipeline.samplegen.vehicle import Body, build_faces, draw_vehicle


@dataclass(frozen=True)
class Shot:
    """Camera placement for one photo type: yaw around the vehicle, distance factor, height."""

    yaw: float
    gap: float  # metres from the vehicle's end to the camera (for a car; scaled up for others)
    height: float  # metres
    fov: float  # degrees, horizontal
    target_z: float = 0.8


SHOTS = {
    "0111": Shot(35.0, 2.8, 1.5, 62.0),  # 左前方斜视45度
    "0112": Shot(-145.0, 2.8, 1.5, 62.0),  # 右后方斜视45度
    "0158": Shot(180.0, 2.4, 1.3, 55.0, 0.7),  # 车辆正后方
    "0321": Shot(0.0, 4.5, 2.6, 60.0),  # 灯光工位: from the front, tester in view
    "0322": Shot(165.0, 3.8, 3.2, 64.0),  # 制动工位: high, from behind, rollers in view
    "0351": Shot(-160.0, 3.8, 3.0, 64.0),  # 驻车制动
    "0323": Shot(25.0, 1.2, 0.45, 85.0, 0.35),  # 底盘检验: low, close, from the pit edge
}


def shot_camera(code: str, body: Body, size: tuple[int, int], rng: np.random.Generator) -> Camera:
    """The camera for a photo type, jittered as a person holding it would."""
    s = SHOTS[code]
    big = body.family != "car"
    scale = {"truck": 1.8, "bus": 2.3}.get(body.family, 1.0)  # taller: step back further
    dist = (body.length / 2 + s.gap * scale) * rng.uniform(0.94, 1.06)
    target_z = s.target_z + (0.6 if big else 0.0)
    return orbit_camera(
        s.yaw + rng.uniform(-8, 8),
        dist,
        s.height + rng.uniform(-0.2, 0.2),
        size,
        s.fov + rng.uniform(-4, 4),
        target_z,
    )


def props_for(code: str, body: Body) -> list[Face]:
    """Test equipment of the bay: headlamp tester, brake rollers, display boards."""
    hx, hy = body.length / 2, body.width / 2
    if code == "0321":
        tester = box(hx + 2.4, hx + 2.9, -1.3, -0.5, 0.0, 1.5, (120, 70, 20))
        tester[0].details.append((_disc(hx + 2.9 + 0.005, -0.9, 0.9, 0.22), (40, 40, 40)))
        return tester + box(hx + 2.5, hx + 2.8, 1.6, 2.0, 0.0, 2.4, (60, 60, 60))
    if code in ("0322", "0351"):
        wx = hx - 1.0 if body.family != "bus" else hx - 2.2
        rollers = []
        for s in (1, -1):
            rollers += box(wx - 0.5, wx + 0.5, s * hy - 0.4, s * hy + 0.4, 0.0, 0.02, (70, 72, 74))
        board = box(-hx - 4.0, -hx - 3.8, -1.4, 1.4, 2.2, 3.1, (30, 30, 30))
        board[0].details.append((_rect(-hx - 3.8 + 0.005, -1.2, 1.2, 2.35, 2.95), (40, 40, 200)))
        return rollers + board
    return []


def render_vehicle_photo(
    code: str,
    body: Body,
    paint: tuple[int, int, int],
    plate: np.ndarray | None,
    bay: Bay,
    size: tuple[int, int],
    rng: np.random.Generator,
    rear_number: tuple[str, FontFace] | None = None,
) -> tuple[np.ndarray, dict[str, list[list[float]]]]:
    """A clean (unprocessed) BGR photo of the vehicle in the bay, and its plate quads.

    ``rear_number`` (plate text, font) is painted large on a truck's box (放大号, as the
    law requires of goods vehicles).
    """
    cam = shot_camera(code, body, size, rng)
    scene = render_bay(cam, bay, rng)
    faces = build_faces(body, paint) + props_for(code, body)
    quads = draw_vehicle(scene, cam, body, faces, plate)
    if rear_number and body.family == "truck":
        paint_rear_number(scene, cam, body, *rear_number)
    return scene, quads


def paint_rear_number(
    scene: np.ndarray, cam: Camera, body: Body, text: str, face: FontFace
) -> None:
    """The enlarged plate number painted on the rear of a truck's box, when in view."""
    x = -body.length / 2 - 0.006
    z0, z1 = 1.3, min(2.1, body.height - 0.2)
    if cam.pos[0] > x - 0.5:
        return  # the rear face is not towards the camera
    w, h = 900, round(900 * (z1 - z0) / 1.7)
    img = Image.new("RGB", (w, h), tuple(reversed(body.cargo)))
    draw = ImageDraw.Draw(img)
    font = face.at(h)
    tw = draw.textlength(text, font=font)
    if tw > w * 0.96:
        font = face.at(int(h * w * 0.96 / tw))
        tw = draw.textlength(text, font=font)
    draw.text(((w - tw) / 2, h * 0.02), text, font=font, fill=(15, 15, 15))
    corners = np.array([[x, 0.85, z1], [x, -0.85, z1], [x, -0.85, z0], [x, 0.85, z0]])
    uv, _ = cam.project(corners)
    warp_onto(scene, np.asarray(img)[..., ::-1].copy(), uv)


def lane_camera(body: Body, size: tuple[int, int], rng: np.random.Generator) -> Camera:
    """The fixed camera of the dynamic chassis lane (0344/0342): high, ahead and to the left,
    so the front plate is in view as the vehicle drives up the lane."""
    big = body.family != "car"
    dist = body.length / 2 + (5.5 if big else 4.2)
    return orbit_camera(20.0 + rng.uniform(-6, 6), dist, 2.6, size, 66.0, 1.2 if big else 0.8)


def render_frame(
    cam: Camera,
    background: np.ndarray,
    body: Body,
    faces: list[Face],
    plate: np.ndarray | None,
    offset: float,
) -> np.ndarray:
    """One frame of the lane camera: the vehicle at ``offset`` metres along the lane."""
    frame = background.copy()
    draw_vehicle(frame, cam, body, faces, plate, offset=offset)
    return frame


def _rect(x: float, y0: float, y1: float, z0: float, z1: float) -> np.ndarray:
    return np.array([[x, y0, z1], [x, y1, z1], [x, y1, z0], [x, y0, z0]], np.float64)


def _disc(x: float, y: float, z: float, r: float) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, 17)[:-1]
    return np.stack([np.full_like(a, x), y + r * np.cos(a), z + r * np.sin(a)], axis=1)
