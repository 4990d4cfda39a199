"""Flat-shaded solids the vehicle renderer is made of: faces, boxes, cabins, wheel prisms."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GLASS = (70, 58, 46)


@dataclass
class Face:
    """A planar polygon with outward normal, flat colour and details painted on top of it."""

    pts: np.ndarray
    normal: np.ndarray
    color: tuple[int, int, int]
    details: list[tuple[np.ndarray, tuple[int, int, int]]] = field(default_factory=list)
    side: int = 0  # wheels: +1 left, -1 right; the far side's wheels are not drawn


def quad(
    a: tuple[float, ...], b: tuple[float, ...], c: tuple[float, ...], d: tuple[float, ...]
) -> np.ndarray:
    return np.array([a, b, c, d], np.float64)


def box(
    x0: float, x1: float, y0: float, y1: float, z0: float, z1: float, color: tuple[int, int, int]
) -> list[Face]:
    """The five visible faces (no bottom) of an axis-aligned box."""
    return [
        Face(
            quad((x1, y0, z1), (x1, y1, z1), (x1, y1, z0), (x1, y0, z0)),
            np.array([1, 0, 0]),
            color,
        ),
        Face(
            quad((x0, y1, z1), (x0, y0, z1), (x0, y0, z0), (x0, y1, z0)),
            np.array([-1, 0, 0]),
            color,
        ),
        Face(
            quad((x0, y1, z1), (x1, y1, z1), (x1, y1, z0), (x0, y1, z0)),
            np.array([0, 1, 0]),
            color,
        ),
        Face(
            quad((x1, y0, z1), (x0, y0, z1), (x0, y0, z0), (x1, y0, z0)),
            np.array([0, -1, 0]),
            color,
        ),
        Face(
            quad((x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)),
            np.array([0, 0, 1]),
            color,
        ),
    ]


def frustum(
    bottom: tuple[float, float, float, float],
    top: tuple[float, float, float, float],
    color: tuple[int, int, int],
    glass: bool,
) -> list[Face]:
    """A cabin: bottom (x0, x1, half-width, z) and a smaller top; glass inset on the sides."""
    bx0, bx1, bw, bz = bottom
    tx0, tx1, tw, tz = top
    sides = [
        (
            quad((tx1, -tw, tz), (tx1, tw, tz), (bx1, bw, bz), (bx1, -bw, bz)),
            (bx1 - tx1, 0, tz - bz),
        ),
        (
            quad((tx0, tw, tz), (tx0, -tw, tz), (bx0, -bw, bz), (bx0, bw, bz)),
            (bx0 - tx0, 0, tz - bz),
        ),
        (
            quad((tx0, tw, tz), (tx1, tw, tz), (bx1, bw, bz), (bx0, bw, bz)),
            (0, bw - tw + 1e-3, 0.3),
        ),
        (
            quad((tx1, -tw, tz), (tx0, -tw, tz), (bx0, -bw, bz), (bx1, -bw, bz)),
            (0, -(bw - tw) - 1e-3, 0.3),
        ),
    ]
    faces = []
    for pts, n in sides:
        normal = np.asarray(n, np.float64)
        normal /= np.linalg.norm(normal)
        f = Face(pts, normal, color)
        if glass:
            f.details.append((inset(pts, 0.12), GLASS))
        faces.append(f)
    faces.append(
        Face(
            quad((tx0, -tw, tz), (tx1, -tw, tz), (tx1, tw, tz), (tx0, tw, tz)),
            np.array([0.0, 0.0, 1.0]),
            color,
        )
    )
    return faces


def inset(pts: np.ndarray, frac: float) -> np.ndarray:
    c = pts.mean(axis=0)
    return c + (pts - c) * (1 - frac)


def wheel(x: float, y: float, r: float, side: int) -> list[Face]:
    """A 14-sided prism: tyre tread faces and an outer cap with a rim."""
    a = np.linspace(0, 2 * np.pi, 15)[:-1]
    ring = np.stack([x + r * np.cos(a), np.zeros_like(a), r + r * np.sin(a)], axis=1)
    outer = ring + np.array((0, y + side * 0.13, 0))
    inner = ring + np.array((0, y - side * 0.13, 0))
    faces = []
    for i in range(len(a)):
        j = (i + 1) % len(a)
        pts = np.array([outer[i], outer[j], inner[j], inner[i]])
        n = np.array([np.cos(a[i] + np.pi / 14), 0, np.sin(a[i] + np.pi / 14)])
        faces.append(Face(pts, n, (32, 32, 32), side=side))
    cap = Face(outer, np.array([0.0, float(side), 0.0]), (28, 28, 28), side=side)
    rim = outer.copy()
    rim[:, [0, 2]] = (rim[:, [0, 2]] - (x, r)) * 0.62 + (x, r)
    cap.details.append((rim + np.array((0, side * 0.005, 0)), (170, 172, 176)))
    faces.append(cap)
    return faces
