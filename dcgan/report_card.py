"""What moving along a direction really changes, measured: a report card beside every slider.

On a few hundred held-out samples (not those a direction was fitted on), in one batched pass through G:
the share of samples whose class (digit classifier's top guess) stays the same at each strength, the most
common class change, how far ink, slant and width move (in standard deviations of that measure among
the samples), and the mean pixel change. Random unit directions measured on the same samples give the
baseline a card is read against: at +-2 sd any direction changes some classes. Style directions are also read in
sd within the samples' digit, at every strength to +-6 sd, beside random directions moved as far: their sliders
reach the strength where the measure has moved STYLE_REACHED within-class sd both ways.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .latent import Direction, generate, sample_z
from .style import measure_style

CARD_SEED = 12345  # the card's samples: a seed no fitting uses (fits use seed 0)
STRENGTHS = {"class": (-2.0, 2.0, 3.0, 4.0, 5.0, 6.0), "style": (-6.0, -5.0, -4.0, -2.0, 2.0, 4.0, 5.0, 6.0),
             "other": (-2.0, 2.0)}
HEADLINE = 2.0  # the strength every card reports, and the random baseline is measured at
N_RANDOM = 3
REACHED = 0.8  # a class direction has reached its class when this share of samples is in it
# a style direction has reached its effect when its measure moves this many within-class sd both ways
STYLE_REACHED = 0.8


@dataclass(frozen=True)
class CardSamples:
    """The samples a card is measured on: z (N, nz), G(z) (N, C, H, W), classes (N,) and style, or None."""

    z: torch.Tensor
    images: torch.Tensor
    classes: torch.Tensor | None
    style: dict | None
    # measure -> pooled sd of it within the samples' classes (what a style move is read in)
    within_sd: dict | None = None


@dataclass(frozen=True)
class ReportCard:
    """Per strength s (in sd of z along the direction): measured changes from the samples at s = 0."""

    name: str
    n: int
    strengths: tuple
    pixel_change: tuple  # mean |pixel change|, [0, 1] scale
    class_kept: tuple | None = None  # share of samples whose predicted class is unchanged
    top_change: tuple | None = None  # (from, to, share of all samples) of the commonest class change, or None
    style_change: dict | None = None  # measure -> mean change in sd of that measure across the samples
    target: str | None = None  # what the direction is meant to move: "class 7", "ink", ...
    target_share: tuple | None = None  # class targets: share of samples in that class
    random_kept: float | None = None  # a random direction's class kept at +-HEADLINE (mean over both signs)
    random_pixel_change: float | None = None
    style_change_within: dict | None = None  # measure -> mean change in within-class sd (style targets read reach here)
    random_kept_curve: tuple | None = None  # random directions' class kept at each of `strengths`, same samples

    def at(self, field: str, s: float):
        values = getattr(self, field)
        if isinstance(values, dict):  # per-measure fields: this direction's target
            values = values.get(self.target)
        return None if values is None or s not in self.strengths else values[self.strengths.index(s)]

    def reach(self) -> float | None:
        """The smallest measured strength at which the target effect happens: 80% of the samples in the target
        class, or the target measure moved by 1 sd. None: no target, or not reached."""
        if self.target is None:
            return None
        for s in sorted(x for x in self.strengths if x > 0):
            i = self.strengths.index(s)
            if self.target_share is not None and self.target_share[i] >= REACHED:
                return s
            if self._style_reached(s):
                return s
        return None

    def _style_reached(self, s: float) -> bool:
        """The target measure moved STYLE_REACHED within-class sd at +s and at -s (1 sd among all samples for cards
        written before within-class changes were recorded)."""
        within = self.style_change_within or {}
        if self.target in within:
            return all(self.at("style_change_within", x) is not None for x in (s, -s)) and min(
                abs(within[self.target][self.strengths.index(x)]) for x in (s, -s)) >= STYLE_REACHED
        change = self.style_change or {}
        return self.target in change and abs(change[self.target][self.strengths.index(s)]) >= 1.0

    def span(self) -> float:
        """The slider range that covers where the effect happens: +-3 sd at least, reach + 1 where it is farther."""
        reach = self.reach()
        if reach is None:
            return max(3.0, max(self.strengths)) if self.target else 3.0
        return float(max(3.0, reach + 1.0))

    def summary(self) -> str:
        """One line for the slider: 'class kept 74% at ±2σ (random 77%) · ink +1.2 sd · mostly 4 → 9 (18%)'."""
        return " · ".join(filter(None, [self._target_part(), self._class_part(), self._style_part(), self._reach_part(),
                                        self._pixel_part()]))

    def _reach_part(self) -> str | None:
        """Style targets: how far the measure moves, and how many classes stay, where the slider reaches the effect."""
        reach = self.reach()
        if not self.style_change_within or reach is None or self.class_kept is None:
            return None
        moved = [self.at("style_change_within", s) for s in (-reach, reach)]
        kept = np.mean([self.at("class_kept", s) for s in (-reach, reach)])
        text = (f"at ±{reach:g}σ: {self.target} {moved[0]:+.1f} / {moved[1]:+.1f} within-class sd, "
                f"class kept {100 * kept:.0f}%")
        if self.random_kept_curve is not None:
            text += f" (random {100 * np.mean([self.at('random_kept_curve', s) for s in (-reach, reach)]):.0f}% there)"
        return text

    def _class_part(self) -> str | None:
        if self.class_kept is None:
            return None
        kept = np.mean([self.at("class_kept", s) for s in (-HEADLINE, HEADLINE)])
        text = f"class kept {100 * kept:.0f}% at ±{HEADLINE:.0f}σ"
        if self.random_kept is not None:
            text += f" (a random direction keeps {100 * self.random_kept:.0f}%)"
        changes = [c for c in (self.at("top_change", HEADLINE), self.at("top_change", -HEADLINE)) if c]
        if changes:
            a, b, share = max(changes, key=lambda c: c[2])
            text += f"; commonest change {a} → {b} ({100 * share:.0f}% of samples)"
        return text

    def _target_part(self) -> str | None:
        if not (self.target and self.target.startswith("class ")):
            return None
        reached = [f"{100 * self.target_share[i]:.0f}% at {s:+.0f}σ" for i, s in enumerate(self.strengths) if s > 0]
        return f"in {self.target}: " + ", ".join(reached)

    def _style_part(self) -> str | None:
        if not self.style_change:
            return None
        at = HEADLINE if HEADLINE in self.strengths else self.strengths[-1]
        i = self.strengths.index(at)
        return f"at {at:+.0f}σ: " + ", ".join(f"{k} {v[i]:+.1f} sd" for k, v in self.style_change.items())

    def _pixel_part(self) -> str:
        change = np.mean([self.at("pixel_change", s) for s in (-HEADLINE, HEADLINE)])
        base = f" (random {self.random_pixel_change:.3f})" if self.random_pixel_change is not None else ""
        return f"pixels move {change:.3f}{base}"

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ReportCard":
        tup = lambda v: None if v is None else tuple(tuple(x) if isinstance(x, list) else x for x in v)  # noqa: E731
        fields = {k: tup(d[k]) if k in ("strengths", "pixel_change", "class_kept", "top_change", "target_share",
                                        "random_kept_curve") else d[k] for k in d}
        for key in ("style_change", "style_change_within"):
            if fields.get(key) is not None:
                fields[key] = {k: tuple(v) for k, v in fields[key].items()}
        return cls(**fields)


@torch.no_grad()
def card_samples(G: torch.nn.Module, classifier=None, *, n: int = 200, seed: int = CARD_SEED) -> CardSamples:
    """The held-out samples cards are measured on (classes and style only where a classifier is given)."""
    z = sample_z(n, G.config.nz, seed=seed)
    images = generate(G, z)
    if classifier is None:
        return CardSamples(z, images, None, None)
    classes, style = _classify(classifier, images), measure_style(images)
    return CardSamples(z, images, classes, style, {k: pooled_within_sd(v, classes) for k, v in style.items()})


def pooled_within_sd(values: torch.Tensor, classes: torch.Tensor) -> float:
    """sqrt of the mean variance of `values` inside each class with 3+ samples: the spread among digits of one kind."""
    variances = [values[classes == c].var() for c in classes.unique() if (classes == c).sum() > 2]
    return float(torch.stack(variances).mean().sqrt()) if variances else float(values.std())


def _classify(classifier, images: torch.Tensor) -> torch.Tensor:
    return torch.cat([classifier(chunk).argmax(1) for chunk in images.split(256)])


def _top_change(before: torch.Tensor, after: torch.Tensor) -> tuple | None:
    changed = before != after
    if not changed.any():
        return None
    pairs = torch.stack([before[changed], after[changed]], 1)
    values, counts = pairs.unique(dim=0, return_counts=True)
    a, b = values[counts.argmax()].tolist()
    return (str(a), str(b), float(counts.max()) / len(before))


@torch.no_grad()
def _measure(G, classifier, base: CardSamples, vector: torch.Tensor, strengths: tuple) -> dict:
    """Every strength in one batched G (and classifier) pass: (S * N) images."""
    n = len(base.z)
    zs = torch.cat([base.z + s * vector for s in strengths])  # (S*N, nz)
    images = generate(G, zs).view(len(strengths), n, *base.images.shape[1:])
    out = {"pixel_change": tuple(float(((x - base.images).abs() / 2).mean()) for x in images)}
    if base.classes is not None:
        classes = _classify(classifier, images.flatten(0, 1)).view(len(strengths), n)
        out["classes"] = classes
        out["class_kept"] = tuple(float((c == base.classes).float().mean()) for c in classes)
        out["top_change"] = tuple(_top_change(base.classes, c) for c in classes)
        style = measure_style(images.flatten(0, 1))
        moved = {k: (v.view(len(strengths), n) - base.style[k]).mean(1) for k, v in style.items()}  # (S,) each
        out["style_change"] = {k: tuple(float(x / base.style[k].std()) for x in v) for k, v in moved.items()}
        if base.within_sd is not None:
            out["style_change_within"] = {k: tuple(float(x / base.within_sd[k]) for x in v) for k, v in moved.items()}
    return out


def random_baseline(G, classifier, base: CardSamples, *, n_random: int = N_RANDOM, seed: int = 0) -> tuple:
    """(class kept, pixel change) of random unit directions at +-HEADLINE, averaged: what any direction does."""
    gen = torch.Generator().manual_seed(seed)
    kept, pixels = [], []
    for _ in range(n_random):
        v = torch.randn(base.z.shape[1], generator=gen)
        m = _measure(G, classifier, base, v / v.norm(), (-HEADLINE, HEADLINE))
        pixels.append(np.mean(m["pixel_change"]))
        kept.append(np.mean(m["class_kept"]) if "class_kept" in m else np.nan)
    return (None if np.isnan(kept).any() else float(np.mean(kept))), float(np.mean(pixels))


def random_curve(G, classifier, base: CardSamples, strengths: tuple, *, n_random: int = N_RANDOM,
                 seed: int = 0) -> tuple | None:
    """Random unit directions' class kept at every strength (S,), averaged: the fair baseline at a card's reach."""
    if base.classes is None:
        return None
    gen = torch.Generator().manual_seed(seed)
    vectors = [torch.nn.functional.normalize(torch.randn(base.z.shape[1], generator=gen), dim=0)
               for _ in range(n_random)]
    kept = [_measure(G, classifier, base, v, strengths)["class_kept"] for v in vectors]
    return tuple(float(x) for x in np.mean(kept, 0))


def target_of(direction: Direction) -> tuple[str | None, str]:
    """(target, kind) read from a built-in direction's name: 'class 7' -> class, 'thickness (ink)' -> ink."""
    from .directions import STYLE_NAMES

    if direction.name.startswith("class "):
        return direction.name, "class"
    for style, name in STYLE_NAMES.items():
        if direction.name == name:
            return style, "style"
    return None, "other"


def report_card(G, classifier, base: CardSamples, direction: Direction, *, baseline: tuple | None = None,
                curve: tuple | None = None) -> ReportCard:
    """The card of one direction on `base` (see the module docstring); `baseline` from random_baseline, `curve`
    from random_curve at the card's strengths (style targets)."""
    target, kind = target_of(direction)
    strengths = STRENGTHS[kind] if base.classes is not None else STRENGTHS["other"]
    m = _measure(G, classifier, base, direction.sigma * direction.vector.float(), strengths)
    share = None
    if kind == "class" and base.classes is not None:
        label = target.split(" ", 1)[1]
        share = tuple(float((c == int(label)).float().mean()) if label.isdigit() else 0.0 for c in m["classes"])
    kept, pixels = baseline if baseline is not None else (None, None)
    return ReportCard(name=direction.name, n=len(base.z), strengths=strengths, pixel_change=m["pixel_change"],
                      class_kept=m.get("class_kept"), top_change=m.get("top_change"),
                      style_change=m.get("style_change"),
                      target=target if base.classes is not None else None, target_share=share,
                      random_kept=kept, random_pixel_change=pixels,
                      style_change_within=m.get("style_change_within") if kind == "style" else None,
                      random_kept_curve=curve if kind == "style" else None)


def report_cards(G, classifier, directions: list[Direction], *, n: int = 200,
                 seed: int = CARD_SEED) -> list[ReportCard]:
    """Cards for several directions on one set of held-out samples, with the random baseline measured once."""
    base = card_samples(G, classifier, n=n, seed=seed)
    baseline = random_baseline(G, classifier, base)
    curve = None
    if any(target_of(d)[1] == "style" for d in directions):
        curve = random_curve(G, classifier, base, STRENGTHS["style"])
    return [report_card(G, classifier, base, d, baseline=baseline, curve=curve) for d in directions]


def with_spans(directions: list[Direction], cards: list[ReportCard]) -> list[Direction]:
    """The directions with slider ranges that reach where their cards say the effect happens."""
    import dataclasses

    return [dataclasses.replace(d, span=c.span()) for d, c in zip(directions, cards)]
