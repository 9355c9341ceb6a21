"""Data-parallel training: 2 CPU processes under torchrun compute what one process computes on the same global batch.

Also: the fast path (bf16 autocast + channels_last) is the default where the CPU has bf16, trains to the same
losses as fp32 within bf16's precision, and writes checkpoints that export; CUDA paths run only with a GPU.
"""
import json
import shutil
import subprocess
import sys

import pytest
import torch
from helpers import ROOT, free_port, tiny_train_config

import dcgan
from dcgan.distributed import GlobalBatchNorm2d, World, sync_batchnorm
from dcgan.errors import ConfigError
from dcgan.precision import fast_dtype
from dcgan.train import Trainer, train

TINY = ["--data", "digits", "--image-size", "16", "--batch-size", "64", "--nz", "8", "--ngf", "8", "--ndf", "8",
        "--seed", "3", "--no-fast", "--device", "cpu"]


def dcgan_train(out, *args, processes: int = 1) -> subprocess.CompletedProcess:
    launcher = ["-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_addr", "127.0.0.1",
                "--master_port", str(free_port())] if processes > 1 else []
    cmd = [sys.executable, *launcher, "-m", "dcgan", "train", *TINY, "--out", str(out), *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def assert_same_run(a, b) -> None:
    """Same weights, BatchNorm statistics and logged losses, up to float summation order."""
    a, b = (torch.load(p / "last.pt", weights_only=True) for p in (a, b))
    assert a["epoch"] == b["epoch"] and a["step"] == b["step"]
    for net in ("G", "D"):
        assert a[net].keys() == b[net].keys()
        for key in a[net]:
            torch.testing.assert_close(b[net][key], a[net][key], rtol=1e-4, atol=1e-5, msg=f"{net}.{key} differs")
    for column in ("loss_d", "loss_g", "d_real", "d_fake"):
        torch.testing.assert_close(torch.tensor(b["history"][column]), torch.tensor(a["history"][column]),
                                   rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def first_epoch(tmp_path_factory):
    """One bce epoch trained by 1 process and by 2 (folders, the 2-process stdout): the parity test checks it,
    the resume test continues copies of it (each run starts Python, and torchrun two more)."""
    root = tmp_path_factory.mktemp("ddp")
    one, two = root / "one", root / "two"
    dcgan_train(one, "--epochs", "1", "--loss", "bce")
    done = dcgan_train(two, "--epochs", "1", "--loss", "bce", processes=2)
    return one, two, done.stdout


@pytest.mark.ddp
@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_two_processes_match_one_on_the_same_global_batch(tmp_path, loss, request):
    if loss == "bce":
        one, two, stdout = request.getfixturevalue("first_epoch")
    else:
        one, two = tmp_path / "one", tmp_path / "two"
        dcgan_train(one, "--epochs", "1", "--loss", loss)
        stdout = dcgan_train(two, "--epochs", "1", "--loss", loss, processes=2).stdout
    assert_same_run(one, two)
    assert stdout.count("wrote") == 1  # rank 0 alone reports, writes the log and the samples
    rows = (two / "log.jsonl").read_text().splitlines()
    assert len(rows) == 1797 // 64 and json.loads(rows[-1])["step"] == 1797 // 64
    assert [p.name for p in (two / "samples").iterdir()] == ["epoch_001.png"]


@pytest.mark.ddp
def test_two_process_resume_matches_one_process_resume(tmp_path, first_epoch):
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(first_epoch[0], one)
    shutil.copytree(first_epoch[1], two)
    dcgan_train(one, "--epochs", "2", "--resume")
    dcgan_train(two, "--epochs", "2", "--resume", processes=2)
    assert_same_run(one, two)
    assert torch.load(two / "last.pt", weights_only=True)["epoch"] == 2  # resumed, not the copied first epoch


def test_global_batch_must_split_evenly_across_processes():
    from dcgan.distributed import start

    with pytest.raises(ConfigError, match="divisible by the 3 processes"):
        start(World(rank=0, size=3), torch.device("cpu"), batch_size=64)


def test_each_rank_takes_its_own_slice_of_the_global_batch():
    batch = torch.arange(8)
    slices = [World(rank=r, size=2).shard(batch) for r in range(2)]
    assert slices[0].tolist() == [0, 1, 2, 3] and slices[1].tolist() == [4, 5, 6, 7]
    assert World().shard(batch) is batch


def test_batchnorm_swap_keeps_weights_and_checkpoint_keys():
    G, _ = dcgan.models.build(dcgan.config.ModelConfig(image_size=16, channels=1, nz=8, ngf=8, ndf=8))
    before = {k: v.clone() for k, v in G.state_dict().items()}
    swapped = sync_batchnorm(G, torch.device("cpu"))
    assert any(isinstance(m, GlobalBatchNorm2d) for m in swapped.modules())
    after = swapped.state_dict()
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before)
    bn, plain = GlobalBatchNorm2d(3), torch.nn.BatchNorm2d(3)  # in one process it is plain BatchNorm2d
    x = torch.randn(6, 3, 4, 4)
    torch.testing.assert_close(bn(x), plain(x))
    torch.testing.assert_close(bn.running_var, plain.running_var)


# -- the fast path ------------------------------------------------------------------------------------------------
@pytest.mark.skipif(not torch.ops.mkldnn._is_mkldnn_bf16_supported(), reason="this CPU has no native bf16")
def test_fast_path_is_bf16_and_channels_last_by_default_and_off_with_no_fast(tmp_path):
    data = dcgan.data.load_data("digits", image_size=16)
    fast = Trainer(tiny_train_config(tmp_path), data, device=torch.device("cpu"))
    plain = Trainer(tiny_train_config(tmp_path, fast=False), data, device=torch.device("cpu"))
    assert fast.amp_dtype == torch.bfloat16 and fast.layout == torch.channels_last
    assert plain.amp_dtype is None and plain.layout == torch.contiguous_format
    assert fast_dtype(torch.device("cpu")) == torch.bfloat16


def test_fast_and_fp32_training_agree_within_bf16_precision(tmp_path):
    fast = torch.load(train(tiny_train_config(tmp_path / "fast", epochs=2), progress=False), weights_only=True)
    plain = torch.load(train(tiny_train_config(tmp_path / "fp32", epochs=2, fast=False), progress=False),
                       weights_only=True)
    for column in ("loss_d", "loss_g"):
        a, b = torch.tensor(fast["history"][column]), torch.tensor(plain["history"][column])
        assert a.isfinite().all()
        assert (a[:5] - b[:5]).abs().max() < 0.05  # the same start; later steps may drift apart, as any two runs do
        assert abs(a[-10:].mean() - b[-10:].mean()) < 0.5


def test_a_fast_path_checkpoint_is_contiguous_and_exports(tmp_path):
    from dcgan.checkpoint import export

    last = train(tiny_train_config(tmp_path), progress=False)
    state = torch.load(last, weights_only=True)
    assert all(t.is_contiguous() for net in ("G", "D") for t in state[net].values())
    export(dcgan.load(last), tmp_path / "model.safetensors")
    assert dcgan.load(tmp_path / "model.safetensors").G is not None


# -- CUDA (runs only where a GPU is present; CI has none) ---------------------------------------------------------
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
def test_cuda_training_uses_mixed_precision_and_loads_on_cpu(tmp_path):
    last = train(tiny_train_config(tmp_path, device="cuda", epochs=2), progress=False)
    state = torch.load(last, map_location="cpu", weights_only=True)
    assert torch.tensor(state["history"]["loss_d"]).isfinite().all()
    assert torch.backends.cudnn.benchmark
    assert fast_dtype(torch.device("cuda")) in (torch.bfloat16, torch.float16)
    model = dcgan.load(last)
    assert model.render(torch.zeros(1, 8))[0].shape[1:3] == (16, 16)


@cuda
def test_cuda_wgan_gp_trains_with_finite_losses(tmp_path):
    last = train(tiny_train_config(tmp_path, device="cuda", loss="wgan-gp"), progress=False)
    assert torch.tensor(torch.load(last, map_location="cpu", weights_only=True)["history"]["loss_d"]).isfinite().all()
