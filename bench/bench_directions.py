"""Directions on the bundled MNIST model: SeFa's speed, the shipped cards, and what walk spacing and slerp change.

python bench/bench_directions.py   (prints figures; write `uptime` beside them)
"""
import time

import numpy as np
import torch

import dcgan
from dcgan import latent as L
from dcgan.direction_file import load_directions
from dcgan.directions import METHODS, builtin_file, sefa_directions

CKPT = "checkpoints/mnist-32.pt"


def style_judges(model) -> None:
    """Share of classes kept by the style directions and random ones at +-2 sd and at each card's reach, by our
    classifier and two judges no direction saw: an RBF SVM on pixels and a linear SVM on D's features."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC

    from dcgan.data import load_data
    from dcgan.features import d_features
    from dcgan.metrics import load_classifier

    data, clf = load_data("mnist", image_size=32, channels=1), load_classifier()
    rows = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:4000]  # the file is sorted by digit
    pix = lambda x: torch.nn.functional.avg_pool2d(x, 2).flatten(1).numpy()  # noqa: E731
    real, labels = data.as_float(rows), data.labels[rows].numpy()
    svc = SVC(C=5, gamma="scale").fit(pix(real), labels)
    probe = make_pipeline(StandardScaler(), LinearSVC(C=0.01, max_iter=5000)).fit(d_features(model.D, real), labels)
    judges = {"ours": lambda x: clf(x).argmax(1).numpy(), "pixel SVM": lambda x: svc.predict(pix(x)),
              "D probe": lambda x: probe.predict(d_features(model.D, x))}
    z = L.sample_z(200, model.config.nz, seed=12345)
    base = L.generate(model.G, z)
    before = {k: j(base) for k, j in judges.items()}
    gen = torch.Generator().manual_seed(3)
    randoms = [torch.nn.functional.normalize(torch.randn(model.config.nz, generator=gen), dim=0) for _ in range(3)]
    kept = lambda v, s: {k: np.mean([(j(L.generate(model.G, z + t * v)) == before[k]).mean() for t in (-s, s)])  # noqa: E731
                         for k, j in judges.items()}
    directions, cards, _ = load_directions(builtin_file(CKPT, "style"))
    for d, card in zip(directions, cards):
        for s in sorted({2.0, card.reach() or max(card.strengths)}):
            rand = {k: np.mean([kept(r, s)[k] for r in randoms]) for k in judges}
            mine = kept(d.vector, s)
            moved = [card.at("style_change_within", x) for x in (-s, s)]
            print(f"  {d.name:16s} ±{s:g}σ: {card.target} {moved[0]:+.2f} / {moved[1]:+.2f} "
                  f"within-class sd; class kept "
                  + ", ".join(f"{k} {100 * mine[k]:.0f}% (random {100 * rand[k]:.0f}%)" for k in judges))


def main() -> None:
    model = dcgan.load(CKPT)
    start = time.perf_counter()
    for _ in range(20):
        sefa_directions(model.G, k=8)
    print(f"SeFa (eigenvectors of the first-layer weight): {1000 * (time.perf_counter() - start) / 20:.1f} ms")
    for method in METHODS:
        directions, cards, _ = load_directions(builtin_file(CKPT, method), nz=model.config.nz)
        for d, c in zip(directions, cards):
            print(f"  {d.name:16s} ±{d.span:g}σ  {c.summary()}")
    style_judges(model)
    pairs = L.sample_z(40, model.config.nz, seed=99).view(20, 2, -1)
    rows = []
    for pair in pairs:
        jumps = {m: L.frame_changes(L.generate(model.G, L.interpolate(pair, 16, mode=m))) for m in ("slerp", "lerp")}
        even = L.frame_changes(L.generate(model.G, L.equal_change_path(model.G, pair, 16)))
        rows.append((jumps["slerp"].mean(), jumps["lerp"].mean(), jumps["slerp"].max() / jumps["slerp"].mean(),
                     even.max() / even.mean(), jumps["slerp"].max(), jumps["lerp"].max()))
    r = np.array(rows)
    print(f"20 walks of 16 steps: mean frame change slerp {r[:, 0].mean():.4f}, lerp {r[:, 1].mean():.4f}; "
          f"slerp's largest step smaller in {(r[:, 4] < r[:, 5]).sum()} of 20")
    print(f"largest step / mean step: equal steps in z {r[:, 2].mean():.2f}, "
          f"equal change in the image {r[:, 3].mean():.2f}")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
