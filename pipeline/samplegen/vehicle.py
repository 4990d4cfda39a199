"""Vehicles as a few shaded boxes, frusta and wheel prisms, drawn with the painter's algorithm.

Enough geometry for a believable 45-degree or rear view of a car, a truck or a bus in the
bay, with the licence plates warped onto the front and rear faces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from pipeline.samplegen.scene import Camera, warp_onto
from pipeline.samplegen.shapes import GLASS, Face, box, frustum, quad, wheel

_LIGHT = np.array([0.35, 0.45, 1.0]) / np.linalg.norm([0.35, 0.45, 1.0])


@dataclass(frozen=True)
class Body:
    """Dimensions of a vehicle body (metres) and where its plates sit."""

    family: str
    length: float
    width: float
    front_plate_z: float
    rear_plate_z: float
    belt: float = 0.95  # car: top of the lower body
    # car cabin: roof height, then how far from the front the windscreen starts (base, top)
    # and how far from the back the rear window starts (base, top)
    cabin: tuple[float, float, float, float, float] = (1.45, 1.3, 2.2, 0.7, 1.1)
    cargo: tuple[int, int, int] = (200, 200, 196)  # truck box colour (BGR)
    height: float = 2.7  # truck box / bus roof


_CARS = {  # variant: length factor, belt, cabin
    "sedan": (1.0, 0.95, (1.45, 1.3, 2.2, 0.7, 1.1)),
    "suv": (0.98, 1.05, (1.75, 1.2, 1.9, 0.25, 0.45)),
    "hatchback": (0.88, 0.95, (1.5, 1.2, 2.0, 0.3, 0.55)),
    "mpv": (1.02, 1.0, (1.8, 0.9, 1.4, 0.25, 0.4)),
}
_CARGO = ((200, 200, 196), (150, 90, 30), (90, 120, 60), (60, 60, 160), (230, 230, 230))


def body_for(family: str, rng: np.random.Generator) -> Body:
    """A body of the family with varied shape and proportions."""
    s = float(rng.uniform(0.94, 1.07))
    if family == "truck":
        cargo = _CARGO[int(rng.integers(len(_CARGO)))]
        return Body(
            "truck", 6.5 * s, 2.1, 0.5, 1.05, cargo=cargo, height=float(rng.uniform(2.4, 3.0))
        )
    if family == "bus":
        return Body("bus", 10.5 * s, 2.5, 0.55, 0.75, height=float(rng.uniform(3.0, 3.4)))
    names = sorted(_CARS)
    factor, belt, cabin = _CARS[names[int(rng.integers(len(names)))]]
    return Body("car", 4.6 * s * factor, float(rng.uniform(1.76, 1.9)), 0.45, 0.62, belt, cabin)


def build_faces(body: Body, paint: tuple[int, int, int]) -> list[Face]:
    """Every face of the vehicle (body parts, glass, lamps, wheels) in world coordinates."""
    L, W = body.length, body.width
    hx, hy = L / 2, W / 2
    faces: list[Face] = []
    if body.family == "car":
        roof, fb, ft, bb, bt = body.cabin
        faces += box(-hx, hx, -hy, hy, 0.3, body.belt, paint)
        faces += frustum(
            (-hx + bb, hx - fb, hy - 0.05, body.belt),
            (-hx + bt, hx - ft, hy - 0.2, roof),
            paint,
            glass=True,
        )
        _decorate_car(faces, hx, hy)
        wheels = [(hx - 1.0, 0.32), (-hx + 1.0, 0.32)]
    elif body.family == "truck":
        faces += box(hx - 1.8, hx, -hy, hy, 0.45, body.height - 0.1, paint)
        faces += box(-hx, hx - 1.95, -hy, hy, 0.85, body.height, body.cargo)
        faces += box(-hx, hx - 1.8, -hy + 0.3, hy - 0.3, 0.45, 0.85, (40, 40, 40))
        _decorate_truck(faces, hx, hy)
        wheels = [(hx - 1.0, 0.48), (-hx + 1.4, 0.48)]
    else:
        faces += box(-hx, hx, -hy, hy, 0.35, body.height, paint)
        _decorate_bus(faces, hx, hy)
        wheels = [(hx - 2.2, 0.5), (-hx + 2.6, 0.5)]
    for wx, r in wheels:
        for side in (1, -1):
            faces += wheel(wx, side * (hy - 0.14), r, side)
    return faces


def draw_vehicle(
    scene: np.ndarray,
    cam: Camera,
    body: Body,
    faces: list[Face],
    plate: np.ndarray | None,
    offset: float = 0.0,
) -> dict[str, list[list[float]]]:
    """Draw shadow, faces and plates in place; returns the plate quads that are visible.

    ``offset`` moves the vehicle along the lane (x, metres), for frame sequences; props
    (test equipment faces) passed in ``faces`` move with it, so pass none with an offset.
    """
    # Moving the camera the other way is the same as moving the vehicle.
    cam = replace(
        cam,
        pos=(cam.pos[0] - offset, cam.pos[1], cam.pos[2]),
        target=(cam.target[0] - offset, cam.target[1], cam.target[2]),
    )
    _shadow(scene, cam, body)
    cam_pos = np.asarray(cam.pos)
    visible = []
    for f in faces:
        c = f.pts.mean(axis=0)
        if f.side and f.side * cam_pos[1] < -1.0:
            continue
        if np.dot(f.normal, cam_pos - c) > 0:
            visible.append((float(np.linalg.norm(cam_pos - c)), f))
    for _, f in sorted(visible, key=lambda t: -t[0]):
        shade = 0.5 + 0.55 * max(0.0, float(np.dot(f.normal, _LIGHT)))
        _fill(scene, cam, f.pts, tuple(min(255, int(v * shade)) for v in f.color))
        for pts, color in f.details:
            _fill(scene, cam, pts, tuple(min(255, int(v * (0.6 + 0.4 * shade))) for v in color))
    quads: dict[str, list[list[float]]] = {}
    for name, x, z, sign in (
        ("front", body.length / 2, body.front_plate_z, 1),
        ("rear", -body.length / 2, body.rear_plate_z, -1),
    ):
        if np.dot((sign, 0, 0), cam_pos - (x, 0, z)) <= 0:
            continue
        pw = 0.44 if plate is None else 0.44 * plate.shape[1] / (plate.shape[0] / 140 * 440)
        y0, y1 = -sign * pw / 2, sign * pw / 2
        xp = x + sign * 0.01
        corners = np.array(
            [[xp, y0, z + 0.07], [xp, y1, z + 0.07], [xp, y1, z - 0.07], [xp, y0, z - 0.07]]
        )
        uv, _ = cam.project(corners)
        if plate is not None:
            warp_onto(scene, cv2.cvtColor(plate, cv2.COLOR_RGB2BGR), uv)
        quads[name] = uv.round(1).tolist()
    return quads


def _fill(scene: np.ndarray, cam: Camera, pts: np.ndarray, color: tuple[int, ...]) -> None:
    uv, depth = cam.project(pts)
    if (depth <= 0.05).any():
        return
    poly = np.round(uv * 4).astype(np.int32)
    cv2.fillPoly(scene, [poly], color, lineType=cv2.LINE_AA, shift=2)


def _shadow(scene: np.ndarray, cam: Camera, body: Body) -> None:
    hx, hy = body.length / 2 + 0.2, body.width / 2 + 0.15
    pts = np.array([[hx, hy, 0.01], [hx, -hy, 0.01], [-hx, -hy, 0.01], [-hx, hy, 0.01]])
    uv, _ = cam.project(pts)
    mask = np.zeros(scene.shape[:2], np.float32)
    cv2.fillPoly(mask, [np.round(uv).astype(np.int32)], 1.0)
    k = max(3, (scene.shape[1] // 40) | 1)
    mask = cv2.GaussianBlur(mask, (k, k), 0) * 0.55
    scene[:] = (scene * (1 - mask[..., None])).astype(np.uint8)


def _rect_x(x: float, y0: float, y1: float, z0: float, z1: float) -> np.ndarray:
    return quad((x, y0, z1), (x, y1, z1), (x, y1, z0), (x, y0, z0))


def _decorate_car(faces: list[Face], hx: float, hy: float) -> None:
    front, rear = faces[0], faces[1]
    front.details += [
        (_rect_x(hx + 0.005, -hy + 0.1, hy - 0.1, 0.3, 0.36), (45, 45, 45)),
        (_rect_x(hx + 0.005, -0.45, 0.45, 0.58, 0.78), (40, 40, 40)),
    ]
    for s in (1, -1):
        front.details.append(
            (_rect_x(hx + 0.006, s * (hy - 0.08), s * (hy - 0.42), 0.74, 0.88), (215, 225, 230))
        )
        rear.details.append(
            (_rect_x(-hx - 0.006, s * (hy - 0.06), s * (hy - 0.4), 0.74, 0.9), (40, 40, 190))
        )
    rear.details.append((_rect_x(-hx - 0.005, -hy + 0.1, hy - 0.1, 0.3, 0.38), (45, 45, 45)))


def _decorate_truck(faces: list[Face], hx: float, hy: float) -> None:
    front = faces[0]
    front.details += [
        (_rect_x(hx + 0.005, -hy + 0.1, hy - 0.1, 1.55, 2.45), GLASS),
        (_rect_x(hx + 0.005, -0.6, 0.6, 0.7, 1.2), (50, 50, 50)),
    ]
    for s in (1, -1):
        front.details.append(
            (_rect_x(hx + 0.006, s * (hy - 0.1), s * (hy - 0.4), 0.75, 0.95), (215, 225, 230))
        )
        side = faces[2] if s == 1 else faces[3]
        y = s * (hy + 0.005)
        side.details.append(
            (
                quad(
                    (hx - 1.5, y, 2.35),
                    (hx - 0.35, y, 2.35),
                    (hx - 0.35, y, 1.6),
                    (hx - 1.5, y, 1.6),
                ),
                GLASS,
            )
        )
    rear = faces[6]
    for s in (1, -1):
        rear.details.append(
            (_rect_x(-hx - 0.006, s * (hy - 0.08), s * (hy - 0.35), 0.9, 1.05), (40, 40, 190))
        )


def _decorate_bus(faces: list[Face], hx: float, hy: float) -> None:
    front, rear = faces[0], faces[1]
    front.details.append((_rect_x(hx + 0.005, -hy + 0.1, hy - 0.1, 1.25, 2.9), GLASS))
    rear.details.append((_rect_x(-hx - 0.005, -hy + 0.2, hy - 0.2, 2.0, 2.9), GLASS))
    for s in (1, -1):
        front.details.append(
            (_rect_x(hx + 0.006, s * (hy - 0.1), s * (hy - 0.5), 0.6, 0.8), (215, 225, 230))
        )
        rear.details.append(
            (_rect_x(-hx - 0.006, s * (hy - 0.08), s * (hy - 0.35), 0.6, 1.2), (40, 40, 190))
        )
        side = faces[2] if s == 1 else faces[3]
        y = s * (hy + 0.005)
        x = -hx + 0.4
        while x + 1.2 < hx - 0.3:
            side.details.append(
                (quad((x, y, 2.7), (x + 1.15, y, 2.7), (x + 1.15, y, 1.7), (x, y, 1.7)), GLASS)
            )
            x += 1.3
