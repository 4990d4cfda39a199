"""A pinhole camera and an inspection bay (floor, lane markings, walls, ceiling lights).

The bay is ray-cast per pixel so perspective is consistent with the vehicle drawn on top by
:mod:`pipeline.samplegen.vehicle`: world metres, x along the lane, y to the vehicle's left,
z up, the vehicle centred at the origin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking from ``pos`` at ``target`` (world metres)."""

    pos: tuple[float, float, float]
    target: tuple[float, float, float]
    width: int
    height: int
    focal: float  # pixels

    def rotation(self) -> np.ndarray:
        """Rows: camera right, down and forward axes in world coordinates."""
        fwd = np.subtract(self.target, self.pos).astype(np.float64)
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, (0.0, 0.0, 1.0))
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (N, 2) and depths (N,) of world points (N, 3)."""
        cam = (np.asarray(pts, np.float64) - self.pos) @ self.rotation().T
        z = np.maximum(cam[:, 2], 1e-3)
        uv = np.stack([cam[:, 0] / z, cam[:, 1] / z], axis=1) * self.focal
        uv += (self.width / 2, self.height / 2)
        return uv, cam[:, 2]

    def rays(self) -> np.ndarray:
        """Unit world-space ray directions for every pixel, shape (H, W, 3)."""
        u = (np.arange(self.width) + 0.5 - self.width / 2) / self.focal
        v = (np.arange(self.height) + 0.5 - self.height / 2) / self.focal
        uu, vv = np.meshgrid(u, v)
        d = np.stack([uu, vv, np.ones_like(uu)], axis=-1) @ self.rotation()
        return d / np.linalg.norm(d, axis=-1, keepdims=True)


def orbit_camera(
    yaw_deg: float,
    dist: float,
    height: float,
    size: tuple[int, int],
    fov_deg: float,
    target_z: float = 0.7,
) -> Camera:
    """A camera on a circle around the vehicle: yaw 0 = in front, 90 = on its left."""
    yaw = np.radians(yaw_deg)
    w, h = size
    focal = (w / 2) / np.tan(np.radians(fov_deg) / 2)
    pos = (dist * np.cos(yaw), dist * np.sin(yaw), height)
    return Camera(pos, (0.0, 0.0, target_z), w, h, float(focal))


@dataclass(frozen=True)
class Bay:
    """Colours and dimensions of one inspection bay (varied per station)."""

    floor: tuple[int, int, int]
    wall: tuple[int, int, int]
    dado: tuple[int, int, int]
    stripe: tuple[int, int, int]
    half_length: float = 14.0
    half_width: float = 7.0
    ceiling: float = 6.5
    lane_half: float = 1.6


def random_bay(rng: np.random.Generator) -> Bay:
    """Bay colours in BGR: grey/green epoxy floors, pale walls, yellow or white markings."""
    floors = [(128, 130, 128), (118, 140, 120), (150, 150, 146), (110, 118, 128)]
    walls = [(222, 220, 214), (226, 214, 196), (210, 216, 220), (200, 206, 200)]
    dados = [(150, 110, 60), (90, 120, 90), (120, 120, 124), (70, 70, 150)]
    f = floors[int(rng.integers(len(floors)))]
    return Bay(
        floor=_jitter(f, rng),
        wall=_jitter(walls[int(rng.integers(len(walls)))], rng),
        dado=_jitter(dados[int(rng.integers(len(dados)))], rng),
        stripe=(30, 200, 235) if rng.random() < 0.75 else (230, 230, 230),
        half_length=float(rng.uniform(11, 18)),
        half_width=float(rng.uniform(5.5, 9)),
        ceiling=float(rng.uniform(5.5, 8)),
        lane_half=float(rng.uniform(1.4, 1.8)),
    )


def render_bay(cam: Camera, bay: Bay, rng: np.random.Generator) -> np.ndarray:
    """The empty bay as seen by the camera, BGR ``uint8``.

    Ray-cast at half resolution and scaled up: cheaper, and the background is soft as it is
    behind a vehicle the camera focused on.
    """
    half = replace(cam, width=cam.width // 2, height=cam.height // 2, focal=cam.focal / 2)
    small = _cast(half, bay)
    return cv2.resize(small, (cam.width, cam.height), interpolation=cv2.INTER_LINEAR)


def _cast(cam: Camera, bay: Bay) -> np.ndarray:
    d = cam.rays()
    o = np.asarray(cam.pos)
    h, w = d.shape[:2]
    t_best = np.full((h, w), np.inf)
    out = np.zeros((h, w, 3), np.float32)
    # The room always encloses the camera, whatever distance the shot needs.
    hl = max(bay.half_length, abs(o[0]) + 2.5)
    hw = max(bay.half_width, abs(o[1]) + 2.5)
    planes = [(2, 0.0), (2, bay.ceiling), (0, hl), (0, -hl), (1, hw), (1, -hw)]
    hits = []
    for axis, value in planes:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (value - o[axis]) / d[..., axis]
        t = np.where(t > 1e-6, t, np.inf)
        hits.append(t)
        t_best = np.minimum(t_best, t)
    p = o + d * np.where(np.isfinite(t_best), t_best, 0)[..., None]
    for (axis, value), t in zip(planes, hits, strict=True):
        sel = (t == t_best) & np.isfinite(t)
        if not sel.any():
            continue
        out[sel] = _shade(axis, value, p[sel], bay)
    # Distance falloff: far walls slightly darker, as under ceiling lamps.
    dist = np.clip(np.where(np.isfinite(t_best), t_best, 30), 0, 30)
    out *= (1.05 - dist / 60)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def _shade(axis: int, value: float, p: np.ndarray, bay: Bay) -> np.ndarray:
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    n = len(p)
    if axis == 2 and value == 0.0:  # floor: epoxy, seams every 2 m, lane stripes
        col = np.tile(np.array(bay.floor, np.float32), (n, 1))
        seam = (np.abs((x % 2.0) - 1.0) > 0.985) | (np.abs((y % 2.0) - 1.0) > 0.99)
        col[seam] *= 0.8
        stripe = np.abs(np.abs(y) - bay.lane_half) < 0.06
        col[stripe] = bay.stripe
        stop = (np.abs(x - 3.2) < 0.08) & (np.abs(y) < bay.lane_half)
        col[stop] = (235, 235, 235)
        return col
    if axis == 2:  # ceiling with rows of lamps
        col = np.tile(np.array((190, 190, 188), np.float32), (n, 1))
        lamp = (np.abs((x % 4.0) - 2.0) < 0.25) & (np.abs((y % 3.0) - 1.5) < 0.9)
        col[lamp] = (255, 255, 255)
        return col
    along = y if axis == 0 else x
    col = np.tile(np.array(bay.wall, np.float32), (n, 1))
    col[z < 1.2] = bay.dado
    panel = np.abs((along % 1.2) - 0.6) > 0.585
    col[panel & (z >= 1.2)] *= 0.88
    window = (z > 3.6) & (z < 4.6) & (np.abs((along % 3.0) - 1.5) < 1.1)
    col[window] = (250, 244, 236)
    return col


def warp_onto(scene: np.ndarray, patch: np.ndarray, quad: np.ndarray, alpha: float = 1.0) -> None:
    """Paint ``patch`` (BGR) into ``scene`` in place, its corners TL, TR, BR, BL at ``quad``."""
    h, w = patch.shape[:2]
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.asarray(quad, np.float32))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(patch, m, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, size, flags=cv2.INTER_AREA)
    a = (mask.astype(np.float32) / 255.0 * alpha)[..., None]
    scene[:] = (scene * (1 - a) + warped * a).astype(np.uint8)


def _jitter(c: tuple[int, int, int], rng: np.random.Generator) -> tuple[int, int, int]:
    b, g, r = (int(np.clip(v + rng.integers(-12, 13), 0, 255)) for v in c)
    return (b, g, r)
