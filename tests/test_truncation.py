"""Truncation in G's 8x8 features (dcgan.truncation): what T = 1, small T, the pull toward the nearest centre and the
re-estimated BatchNorm statistics mean."""
import pytest
import torch

from dcgan.config import ModelConfig
from dcgan.errors import ConfigError
from dcgan.latent import generate, sample_z
from dcgan.models import Generator
from dcgan.truncation import CLUSTERS, REFERENCE_SEED, REFERENCE_Z, TowardNearest, reference, split_index, truncated


def tiny_g(size: int = 32) -> Generator:
    """An untrained G whose BatchNorm statistics are those of its own features (as training leaves them)."""
    torch.manual_seed(0)
    G = Generator(ModelConfig(image_size=size, channels=1, nz=8, ngf=8, ndf=8))
    for m in G.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
    with torch.no_grad():
        G.train()(sample_z(1000, 8, seed=9))
    return G.eval()


def spread(images: torch.Tensor) -> float:
    """Mean over pixels of the standard deviation across samples: 0 when every z draws the same image."""
    return float(images.std(0).mean())


def test_none_and_one_are_g_itself_and_other_t_keep_gs_interface():
    G = tiny_g()
    assert truncated(G, None) is G and truncated(G, 1.0) is G
    t = truncated(G, 0.5)
    assert t is truncated(G, 0.5) and t is not G  # built once per G and T
    assert isinstance(t, Generator) and t.layer_names == G.layer_names
    z = sample_z(6, 8, seed=1)
    assert t(z).shape == G(z).shape and torch.equal(t(z[:, :, None, None]), t(z))
    assert sum(isinstance(m, TowardNearest) for m in t.main) == 1
    assert not any(isinstance(m, TowardNearest) for m in G.main)


def test_truncation_acts_after_the_8x8_stage_or_the_last_hidden_one():
    G32, G16 = tiny_g(32), tiny_g(16)
    z = sample_z(2, 8)[:, :, None, None]
    assert G32.main[: split_index(G32)](z).shape[-1] == 8
    assert G16.main[: split_index(G16)](z).shape[-1] == 8  # a 16 px G: its last hidden stage is the 8x8 one


def test_small_t_draws_only_the_centres_images_and_spread_shrinks_with_t():
    G = tiny_g()
    z = sample_z(300, 8, seed=3)
    spreads = [spread(generate(truncated(G, t), z)) for t in (None, 0.5, 0.1)]
    assert spreads[0] > spreads[1] > spreads[2]
    tight = generate(truncated(G, 1e-6), z).flatten(1)  # (N, pixels)
    _, centres = reference(G)
    owner = torch.cdist(G.main[: split_index(G)](z[:, :, None, None]).flatten(1), centres.flatten(1)).argmin(1)
    assert len(set(owner.tolist())) <= CLUSTERS
    for k in set(owner.tolist()):  # every z of one centre draws (almost) that centre's one image
        assert (tight[owner == k] - tight[owner == k][0]).abs().max() < 1e-3 * tight.std(0).mean() + 1e-4


def test_features_are_pulled_toward_their_nearest_centre_by_the_factor_t():
    G = tiny_g()
    t = truncated(G, 0.25)
    cut = split_index(G)
    z = sample_z(300, 8, seed=4)[:, :, None, None]
    h, h_t = G.main[:cut](z), t.main[: cut + 1](z)  # (N, C, 8, 8) before and after TowardNearest
    _, centres = reference(G)
    c = centres[torch.cdist(h.flatten(1), centres.flatten(1)).argmin(1)]
    assert torch.allclose(h_t - c, 0.25 * (h - c), atol=1e-5)
    ref = G.main[:cut](sample_z(REFERENCE_Z, 8, seed=REFERENCE_SEED)[:, :, None, None]).flatten(1)
    owner = torch.cdist(ref, centres.flatten(1)).argmin(1)  # k-means: each centre is the mean of its members
    k = int(torch.bincount(owner).argmax())
    assert torch.allclose(centres[k].flatten(), ref[owner == k].mean(0), atol=1e-3)


def test_later_batchnorms_are_re_estimated_on_the_truncated_features():
    """With G's saved statistics shrunk features would come out faint; re-estimated, the next BatchNorm's statistics
    are those of its input over the reference z, truncated (smaller variance than G's own, which stay as they were)."""
    G = tiny_g()
    t = truncated(G, 0.3)
    cut = split_index(G)
    bn = t.main[cut + 2]  # TowardNearest, ConvTranspose2d, BatchNorm2d
    assert isinstance(bn, torch.nn.BatchNorm2d) and not bn.training
    x = t.main[: cut + 2](sample_z(REFERENCE_Z, 8, seed=REFERENCE_SEED)[:, :, None, None])  # (N, C, 16, 16)
    assert torch.allclose(bn.running_mean, x.mean((0, 2, 3)), atol=1e-4)
    assert torch.allclose(bn.running_var, x.var((0, 2, 3)), rtol=0.05)
    assert (bn.running_var < G.main[cut + 1].running_var).all()


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_truncation_is_a_one_line_error(bad):
    with pytest.raises(ConfigError, match="truncation must be a positive number"):
        truncated(tiny_g(), bad)


def test_the_cache_keeps_the_most_recently_used_truncations_per_g():
    from dcgan.truncation import KEEP_PER_G

    G = tiny_g()
    kept = {t: truncated(G, t) for t in [round(0.1 * (i + 1), 1) for i in range(KEEP_PER_G)]}  # 0.1 ... full
    assert truncated(G, 0.1) is kept[0.1]  # a hit, and now the most recently used; 0.2 is the least
    truncated(G, 0.95)  # one more than the cache holds: 0.2 goes
    assert truncated(G, 0.1) is kept[0.1]
    assert truncated(G, 0.2) is not kept[0.2]  # rebuilt
    assert truncated(G, 0.4) is kept[0.4]
