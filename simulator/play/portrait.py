"""The customer's portrait, drawn from numbers: face and posture follow the anger smoothly.

Every feature is a continuous function of anger (0 to 1), so as the gauge eases from one
value to the next the brows knit, the eyes narrow, the mouth turns down, the face flushes
and the shoulders rise without a jump between bands. Drawn at twice the size and scaled
down, which gives smooth edges without an antialiasing pass per shape.
"""
from __future__ import annotations

import hashlib
import math

import pygame

from .theme import blend

__all__ = ["Look", "look_for", "draw_portrait"]

_SKINS = [(241, 194, 155), (224, 172, 130), (198, 140, 100), (150, 100, 70), (110, 72, 50)]
_HAIRS = [(60, 42, 30), (30, 26, 24), (120, 80, 40), (170, 130, 80), (90, 90, 96)]
_SHIRTS = [(70, 110, 150), (120, 90, 140), (60, 120, 100), (64, 84, 120), (96, 104, 124)]


class Look:
    """What does not change during a call: skin, hair, clothes and hair length."""

    def __init__(self, skin, hair, shirt, long_hair: bool):
        self.skin, self.hair, self.shirt, self.long_hair = skin, hair, shirt, long_hair


def look_for(name: str, gender: str | None) -> Look:
    """A stable look for a persona, chosen from their name so it is the same every time."""
    h = hashlib.sha256(name.encode()).digest()
    return Look(_SKINS[h[0] % len(_SKINS)], _HAIRS[h[1] % len(_HAIRS)], _SHIRTS[h[2] % len(_SHIRTS)], gender == "female")


def _ease(a: float, lo: float, hi: float) -> float:
    """0 below `lo`, 1 above `hi`, smooth in between."""
    t = max(0.0, min(1.0, (a - lo) / (hi - lo)))
    return t * t * (3 - 2 * t)


def draw_portrait(surface, rect: pygame.Rect, anger: float, look: Look, talk: float = 0.0) -> None:
    """Draw the customer into `rect`. `anger` is 0..100 (the eased value), `talk` 0..1 opens the mouth."""
    a = max(0.0, min(1.0, anger / 100.0))
    W, H = rect.w * 2, rect.h * 2
    if W <= 0 or H <= 0:
        return
    img = pygame.Surface((W, H), pygame.SRCALPHA)
    u = min(W, H * 0.9) / 10.0  # drawing unit
    cx = W / 2
    tense = _ease(a, 0.2, 0.95)

    # backdrop: a soft disc that warms with anger
    bd = blend((52, 66, 90), (92, 52, 48), _ease(a, 0.3, 1.0))
    pygame.draw.circle(img, bd, (int(cx), int(H * 0.52)), int(min(W, H) * 0.47))

    # posture: shoulders rise and the head sinks forward and down into them
    shoulder_y = H - u * (2.6 + 0.5 * tense)
    head_cy = H * 0.44 + u * 0.35 * tense
    head_r = u * 2.35 * (1 + 0.04 * tense)
    lean = u * 0.25 * math.sin(tense * math.pi / 2)

    skin = blend(look.skin, (214, 84, 70), 0.45 * _ease(a, 0.35, 1.0))
    shirt = look.shirt
    # torso
    torso = pygame.Rect(0, 0, int(u * 7.6 * (1 - 0.05 * tense)), int(u * 4.5))
    torso.midtop = (int(cx), int(shoulder_y))
    pygame.draw.ellipse(img, shirt, torso.inflate(0, int(u * 2)).move(0, int(u * 0.3)))
    pygame.draw.rect(img, shirt, torso.move(0, int(u * 1.2)))
    hx, hy = cx + lean * 0.2, head_cy
    # long hair sits behind the head
    if look.long_hair:
        back = pygame.Rect(0, 0, int(head_r * 2.25), int(shoulder_y - hy + head_r * 1.5))
        back.midtop = (int(hx), int(hy - head_r * 1.05))
        pygame.draw.rect(img, look.hair, back, border_radius=int(head_r))
    # neck
    neck = pygame.Rect(0, 0, int(u * 1.5), int(shoulder_y - head_cy))
    neck.midbottom = (int(cx), int(shoulder_y + u * 0.6))
    pygame.draw.rect(img, blend(skin, (0, 0, 0), 0.12), neck, border_radius=int(u * 0.4))
    # collar
    pygame.draw.polygon(img, blend(shirt, (255, 255, 255), 0.25),
                        [(cx - u * 0.9, shoulder_y + u * 0.2), (cx, shoulder_y + u * 1.2), (cx + u * 0.9, shoulder_y + u * 0.2)], 0)

    # ears and head
    for side in (-1, 1):
        pygame.draw.ellipse(img, blend(skin, (0, 0, 0), 0.08),
                            pygame.Rect(int(hx + side * head_r * 0.92 - u * 0.35), int(hy - u * 0.2), int(u * 0.7), int(u * 1.0)))
    face = pygame.Rect(0, 0, int(head_r * 1.8), int(head_r * 2.1))
    face.center = (int(hx), int(hy))
    pygame.draw.ellipse(img, skin, face)
    # hair on top
    top = pygame.Rect(0, 0, int(head_r * 1.95), int(head_r * 1.3))
    top.midtop = (int(hx), int(hy - head_r * 1.12))
    pygame.draw.ellipse(img, look.hair, top)
    pygame.draw.ellipse(img, skin, pygame.Rect(int(hx - head_r * 0.8), int(hy - head_r * 0.55), int(head_r * 1.6), int(head_r * 1.2)))

    # cheeks flush with anger
    flush = int(150 * _ease(a, 0.35, 1.0))
    if flush:
        glow = pygame.Surface((int(u * 1.4), int(u * 0.9)), pygame.SRCALPHA)
        pygame.draw.ellipse(glow, (220, 60, 60, flush), glow.get_rect())
        for side in (-1, 1):
            img.blit(glow, glow.get_rect(center=(int(hx + side * u * 1.15), int(hy + u * 0.55))))

    # eyes: narrow as anger rises
    eye_y = hy - u * 0.15
    open_h = u * (0.62 - 0.32 * tense)
    for side in (-1, 1):
        ex = hx + side * u * 0.82
        white = pygame.Rect(0, 0, int(u * 0.9), max(2, int(open_h)))
        white.center = (int(ex), int(eye_y))
        pygame.draw.ellipse(img, (250, 250, 246), white)
        pupil_r = max(2, int(u * 0.2))
        pygame.draw.circle(img, (40, 34, 30), (int(ex), int(eye_y + u * 0.03)), pupil_r)
        # brows: level and raised when calm, knitted into a V when angry
        inner_drop = u * (-0.05 + 0.55 * tense)
        outer_lift = u * (0.05 + 0.15 * tense)
        by = eye_y - u * (0.62 - 0.12 * tense)
        inner = (ex - side * u * 0.45, by + inner_drop)
        outer = (ex + side * u * 0.5, by - outer_lift)
        pygame.draw.line(img, look.hair, inner, outer, max(3, int(u * (0.18 + 0.06 * tense))))
    # a crease between the brows once they knit
    crease = _ease(a, 0.55, 0.9)
    if crease > 0:
        c = blend(skin, (90, 40, 30), 0.5 * crease)
        for dx in (-0.12, 0.12):
            pygame.draw.line(img, c, (hx + u * dx, eye_y - u * 0.55), (hx + u * dx * 0.6, eye_y - u * 0.2), max(2, int(u * 0.07)))

    # nose
    pygame.draw.line(img, blend(skin, (0, 0, 0), 0.25), (hx, eye_y + u * 0.2), (hx - u * 0.12, eye_y + u * 0.75), max(2, int(u * 0.08)))
    pygame.draw.line(img, blend(skin, (0, 0, 0), 0.25), (hx - u * 0.12, eye_y + u * 0.75), (hx + u * 0.1, eye_y + u * 0.8), max(2, int(u * 0.08)))

    # mouth: a smile that flattens and then turns down; opens while talking
    my = hy + u * 1.15
    half = u * (0.7 - 0.1 * tense)
    curve = u * (0.22 - 0.5 * _ease(a, 0.1, 0.85))  # >0 smile, <0 frown
    lip = (120, 50, 50)
    opening = u * (0.12 + 0.35 * tense) * max(0.0, min(1.0, talk))
    pts_top, pts_bot = [], []
    for i in range(13):
        t = i / 12
        x = hx - half + 2 * half * t
        bend = curve * (1 - (2 * t - 1) ** 2)
        pts_top.append((x, my + bend - opening * 0.4 * (1 - (2 * t - 1) ** 2)))
        pts_bot.append((x, my + bend + opening * (1 - (2 * t - 1) ** 2)))
    if opening > 1:
        pygame.draw.polygon(img, (70, 24, 28), pts_top + pts_bot[::-1])
    pygame.draw.lines(img, lip, False, pts_top, max(3, int(u * 0.13)))
    if opening > 1:
        pygame.draw.lines(img, lip, False, pts_bot, max(2, int(u * 0.1)))

    # tension marks beside the head when hostile
    marks = _ease(a, 0.72, 1.0)
    if marks > 0.05:
        col = blend(bd, (250, 210, 120), marks)
        for side in (-1, 1):
            for k in range(3):
                ang = math.radians(-35 + k * 30)
                r0, r1 = head_r * 1.25, head_r * (1.25 + 0.25 * marks)
                x0 = hx + side * r0 * math.cos(ang)
                y0 = hy - head_r * 0.3 + r0 * math.sin(ang)
                x1 = hx + side * r1 * math.cos(ang)
                y1 = hy - head_r * 0.3 + r1 * math.sin(ang)
                pygame.draw.line(img, col, (x0, y0), (x1, y1), max(3, int(u * 0.12)))

    surface.blit(pygame.transform.smoothscale(img, rect.size), rect.topleft)
