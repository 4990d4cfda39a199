"""Photographic variation: lighting, shadows, blur, sensor noise and wear, all seeded.

Every function takes and returns BGR ``uint8`` arrays and draws its randomness from the
``numpy.random.Generator`` it is given, so a seed reproduces the same image.
"""

from __future__ import annotations

import cv2
import numpy as np


def lighting(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Exposure gain, gamma, a linear light gradient and a vignette."""
    h, w = img.shape[:2]
    f = img.astype(np.float32) / 255.0
    gain = 1.0 + rng.uniform(-0.18, 0.15) * strength
    gamma = 1.0 + rng.uniform(-0.2, 0.25) * strength
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = ((xx / w - 0.5) * np.cos(angle) + (yy / h - 0.5) * np.sin(angle)).astype(np.float32)
    f = f * (1.0 + ramp * rng.uniform(0.0, 0.35) * strength)[..., None]
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
    f = f * (1.0 - r2 * rng.uniform(0.05, 0.3) * strength)[..., None]
    f = np.clip(f * gain, 0, 1) ** gamma
    tint = 1.0 + rng.uniform(-0.04, 0.04, 3) * strength
    return np.clip(f * tint * 255, 0, 255).astype(np.uint8)


def cast_shadow(img: np.ndarray, rng: np.random.Generator, depth: float = 0.35) -> np.ndarray:
    """A soft-edged shadow polygon (a pillar, a person) across part of the frame."""
    h, w = img.shape[:2]
    x0 = rng.uniform(-0.2, 0.9) * w
    width = rng.uniform(0.08, 0.3) * w
    skew = rng.uniform(-0.3, 0.3) * w
    pts = np.array([[x0, 0], [x0 + width, 0], [x0 + width + skew, h], [x0 + skew, h]])
    mask = np.zeros((h, w), np.float32)
    cv2.fillPoly(mask, [pts.astype(np.int32)], 1.0)
    k = (w // 25) | 1
    mask = cv2.GaussianBlur(mask, (k, k), 0) * depth * rng.uniform(0.4, 1.0)
    return (img * (1 - mask[..., None])).astype(np.uint8)


def sensor_noise(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Gaussian noise with a little chroma, as from a small sensor at moderate ISO."""
    if sigma <= 0:
        return img
    h, w = img.shape[:2]
    luma = rng.normal(0, sigma, (h, w, 1)).astype(np.float32)
    chroma = rng.normal(0, sigma * 0.35, (h, w, 3)).astype(np.float32)
    return np.clip(img.astype(np.float32) + luma + chroma, 0, 255).astype(np.uint8)


def motion_blur(img: np.ndarray, length: int, angle_deg: float) -> np.ndarray:
    """Linear motion blur of ``length`` pixels along ``angle_deg``."""
    length = max(1, int(length))
    k = np.zeros((length * 2 + 1, length * 2 + 1), np.float32)
    c = length
    dx, dy = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    cv2.line(
        k,
        (round(c - dx * length), round(c - dy * length)),
        (round(c + dx * length), round(c + dy * length)),
        1.0,
        1,
    )
    return cv2.filter2D(img, -1, k / k.sum())


def defocus_blur(img: np.ndarray, radius: float) -> np.ndarray:
    """Disc (defocus) blur of the given radius in pixels."""
    r = max(1, round(radius))
    k = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    cv2.circle(k, (r, r), r, 1.0, -1)
    return cv2.filter2D(img, -1, k / k.sum())


def slight_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The softness of a real lens: Gaussian sigma 0.3 to 0.9 pixels."""
    s = float(rng.uniform(0.3, 0.9))
    return cv2.GaussianBlur(img, (0, 0), s)


def scratches(
    img: np.ndarray,
    rng: np.random.Generator,
    count: int,
    region: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Thin light and dark scratch lines, optionally inside region (x0, y0, x1, y1)."""
    out = img.copy()
    h, w = img.shape[:2]
    x0, y0, x1, y1 = region or (0, 0, w, h)
    for _ in range(count):
        p = (int(rng.integers(x0, x1)), int(rng.integers(y0, y1)))
        ang = rng.uniform(0, np.pi)
        ln = rng.uniform(0.03, 0.2) * w
        q = (int(p[0] + np.cos(ang) * ln), int(p[1] + np.sin(ang) * ln))
        shade = int(rng.choice([40, 215]))
        cv2.line(out, p, q, (shade, shade, shade), 1, cv2.LINE_AA)
    return cv2.addWeighted(img, 0.45, out, 0.55, 0)


def dirt(img: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Low-frequency brownish grime blotches covering part of the image."""
    h, w = img.shape[:2]
    small = rng.random((8, 14)).astype(np.float32)
    field = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    alpha = np.clip((field - 0.55) * 2.2, 0, 1) * amount
    grime = np.array([60, 80, 95], np.float32)
    return (img * (1 - alpha[..., None]) + grime * alpha[..., None]).astype(np.uint8)


def photograph(
    img: np.ndarray, rng: np.random.Generator, *, noise: float = 3.0, strength: float = 1.0
) -> np.ndarray:
    """The usual camera treatment: lens softness, lighting, maybe a shadow, sensor noise."""
    out = slight_blur(img, rng)
    out = lighting(out, rng, strength)
    if rng.random() < 0.3 * strength:
        out = cast_shadow(out, rng)
    return sensor_noise(out, rng, noise * rng.uniform(0.6, 1.3))
