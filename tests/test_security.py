"""Attacks a visitor could make on a server open to a network, each generated here (no binaries committed).

Every crafted file or request must get a one-line refusal, in bounded time and memory; the heavy ones run in a
subprocess under an address-space limit (resource.RLIMIT_AS) and report their own peak memory.
"""
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pytest
import torch
from helpers import ROOT, tiny_train_config

import dcgan
from dcgan.errors import CheckpointError, DcganError

LIMIT_MB = 500  # what one refused request may add to a process, at most (the issue's bound)

CHILD = ("""
import json, resource, sys, time, traceback
import torch, dcgan, dcgan.data, dcgan.direction_file, app.common  # the baseline: what a server has imported
status = lambda key: int(open("/proc/self/status").read().split(key + ":")[1].split()[0])  # kB
vm, rss = status("VmSize"), status("VmRSS")
resource.setrlimit(resource.RLIMIT_AS, (vm * 1024 + {limit} * 2**20,) * 2)
open("/proc/self/clear_refs", "w").write("5")  # peak RSS from here on
start, outcome = time.perf_counter(), "accepted"
try:
{code}
except dcgan.errors.DcganError as err:
    outcome = "refused: " + str(err)
except MemoryError:
    outcome = "out of memory"
except Exception:
    outcome = "crashed: " + traceback.format_exc()
print(json.dumps({{"outcome": outcome, "seconds": time.perf_counter() - start,"""
""" "peak_mb": (status("VmHWM") - rss) / 1024}}))
""")


def attack(code: str, *, limit_mb: int = LIMIT_MB) -> dict:
    """Run `code` in a fresh Python under an address-space limit of baseline + limit_mb; its outcome, time and peak."""
    script = CHILD.format(limit=limit_mb, code=textwrap.indent(textwrap.dedent(code), "    "))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_refused(result: dict, words: str, *, peak_mb: float = LIMIT_MB) -> None:
    assert result["outcome"].startswith("refused: "), result["outcome"]
    assert words in result["outcome"] and "\n" not in result["outcome"], result["outcome"]
    assert result["seconds"] < 3, result  # the unguarded code took 6.6 s and 1.9 GB on the same file
    assert result["peak_mb"] < peak_mb, result


def project_file(path, config: dict, **entries):
    torch.save({"format": "dcgan-explorer", "version": 1, "config": config, **entries}, path)
    return path


# -- checkpoints: validated before anything is allocated -----------------------------------------
@pytest.mark.slow  # a fresh Python under a memory limit
def test_a_tiny_file_asking_for_a_huge_network_is_refused_from_its_config(tmp_path):
    path = project_file(tmp_path / "huge.pt", {"image_size": 256, "channels": 3, "nz": 100, "ngf": 3000, "ndf": 64},
                        G={})
    assert path.stat().st_size < 2000
    assert_refused(attack(f"dcgan.load({str(path)!r})"), "ngf")


@pytest.mark.slow  # a fresh Python under a memory limit
def test_weights_that_do_not_fit_are_refused_before_g_and_d_are_built(tmp_path):
    # Within the bounds, but G and D of this size take ~360 MB to build: the shape check must come first.
    config = {"image_size": 256, "channels": 3, "nz": 100, "ngf": 128, "ndf": 128}
    path = project_file(tmp_path / "big.pt", config, G={"main.0.weight": torch.zeros(1)}, D=None)
    assert_refused(attack(f"dcgan.load({str(path)!r})"), "do not fit", peak_mb=100)


@pytest.mark.slow  # a fresh Python under a memory limit
@pytest.mark.parametrize("kind", ["zero-size", "stride-0"])
def test_pytorch_examples_files_with_degenerate_tensors_are_refused(tmp_path, kind):
    if kind == "zero-size":
        state = {"main.0.weight": torch.empty(0, 0, 4, 4), "main.1.weight": torch.empty(0),
                 "main.3.weight": torch.empty(0, 3, 4, 4)}
    else:  # one stored number, declared as 4096 x 4096 x 4 x 4 (a 1 GB tensor once copied)
        one = torch.zeros(1, 1, 1, 1)
        state = {"main.0.weight": one.expand(4096, 4096, 4, 4), "main.1.weight": torch.zeros(1).expand(4096),
                 "main.3.weight": one.expand(4096, 3, 4, 4)}
    path = tmp_path / "netG_epoch_1.pth"
    torch.save(state, path)
    assert path.stat().st_size < 5000
    assert_refused(attack(f"dcgan.load({str(path)!r})"), "architecture")


ODD = {  # key -> a crafted value that torch.load accepts but a page could not show
    "D": [1, 2], "history": "not columns", "verdict_log": "x", "epoch": "3", "labels": [1, 2],
    "verdict": {"bank_": [1]}, "train_config": [1], "step": -1,
}


@pytest.mark.parametrize("key", sorted(ODD))
def test_loadable_files_with_odd_types_are_refused_at_load(tmp_path, tiny_checkpoint, key):
    state = torch.load(tiny_checkpoint, weights_only=True)
    state[key] = ODD[key]
    torch.save(state, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError) as err:
        dcgan.load(tmp_path / "odd.pt")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("config", [{"nz": True}, {"ngf": 8.5}, {"labels": [1]}, [1, 2]])
def test_configs_with_odd_types_are_refused(tmp_path, tiny_checkpoint, config):
    state = torch.load(tiny_checkpoint, weights_only=True)
    state["config"] = {**state["config"], **config} if isinstance(config, dict) else config
    torch.save(state, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match="config"):
        dcgan.load(tmp_path / "odd.pt")


@pytest.mark.parametrize("meta", ["[1, 2]", '{"history": "x"}', "[" * 100_000 + "]" * 100_000])
def test_safetensors_with_odd_metadata_are_refused(tmp_path, tiny_checkpoint, meta):
    from safetensors.torch import load_file, safe_open, save_file

    from dcgan.checkpoint import export

    good = export(dcgan.load(tiny_checkpoint), tmp_path / "good.safetensors")
    with safe_open(str(good), framework="pt") as f:
        metadata = {**f.metadata(), "meta": meta}
    save_file(load_file(good), tmp_path / "odd.safetensors", metadata=metadata)
    with pytest.raises(CheckpointError) as err:
        dcgan.load(tmp_path / "odd.safetensors")
    assert "\n" not in str(err.value)


def test_info_on_a_crafted_file_is_one_line_and_exit_2(tmp_path, tiny_checkpoint, capsys):
    from dcgan.cli import main

    state = torch.load(tiny_checkpoint, weights_only=True)
    state["history"] = "a string"
    torch.save(state, tmp_path / "odd.pt")
    assert main(["info", str(tmp_path / "odd.pt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


# -- data: image and zip bombs --------------------------------------------------------------------
def png_declaring(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header is rewritten to declare width x height (a few hundred bytes)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, format="PNG")
    raw = bytearray(buf.getvalue())
    ihdr = raw[12:29]  # b"IHDR" + 13 bytes of header data
    ihdr[4:12] = struct.pack(">II", width, height)
    raw[12:29] = ihdr
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(raw)


@pytest.mark.slow  # a fresh Python under a memory limit
def test_a_zip_holding_a_13000_px_png_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("huge.png", png_declaring(13000, 13000))
    assert path.stat().st_size < 5000
    result = attack(f"dcgan.data.load_folder({str(path)!r}, image_size=32, channels=1)", limit_mb=300)
    assert_refused(result, "no readable images", peak_mb=200)


@pytest.mark.slow  # a fresh Python under a memory limit
def test_a_zip_entry_declaring_a_gigabyte_is_refused_from_the_directory(tmp_path):
    path = tmp_path / "big-entry.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.png", png_declaring(1, 1))
    raw = bytearray(path.read_bytes())
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 24:central + 28] = struct.pack("<I", 1 << 30)  # uncompressed size, as the directory declares it
    path.write_bytes(bytes(raw))
    result = attack(f"dcgan.data.load_folder({str(path)!r}, image_size=32, channels=1)", limit_mb=300)
    assert_refused(result, "1024 MB", peak_mb=100)


# -- z files ------------------------------------------------------------------------------------------
def npy_declaring(shape: tuple) -> bytes:
    header = repr({"descr": "<f4", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (118 - len(header)) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 400


@pytest.mark.slow  # a fresh Python under a memory limit
def test_a_528_byte_npy_declaring_10_to_the_10_vectors_is_refused_from_its_header():
    data = npy_declaring((10**10, 100))
    assert len(data) < 600
    result = attack(f"app.common.read_z('z.npy', {data!r}, 100)")
    assert_refused(result, "declares an array of shape", peak_mb=50)


def test_deeply_nested_json_is_a_one_line_refusal():
    from app.common import read_z

    with pytest.raises(DcganError, match="not a z vector"):
        read_z("z.json", b"[" * 100_000 + b"]" * 100_000, 8)


# -- truncation ----------------------------------------------------------------------------------------
def test_truncation_ends_for_any_positive_threshold_and_keeps_the_truncated_distribution():
    from scipy.stats import truncnorm

    from dcgan.latent import sample_z

    tiny = sample_z(64, 100, truncation=1e-9)
    assert tiny.abs().max() <= 1e-9 and tiny.std() > 0
    for t in (0.05, 0.5):  # the direct draws must follow N(0, 1) cut at t, as the redraws do
        z = sample_z(4000, 25, seed=1, truncation=t)
        assert z.abs().max() <= t
        assert abs(z.std().item() / truncnorm.std(-t, t) - 1) < 0.02
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(DcganError):
            sample_z(4, 8, truncation=bad)


def test_ordinary_truncation_draws_what_redrawing_always_drew():
    from dcgan.latent import sample_z

    gen = torch.Generator().manual_seed(3)
    z = torch.randn(64, 100, generator=gen)
    while (outside := z.abs() > 1.0).any():
        z[outside] = torch.randn(int(outside.sum()), generator=gen)
    assert torch.equal(sample_z(64, 100, seed=3, truncation=1.0), z)


# -- numbers on the command line: refused before any data loads --------------------------------------
@pytest.mark.parametrize("argv", [
    ["train", "--data", ""], ["train", "--image-size", "1024"], ["train", "--n-critic", "-1"],
    ["train", "--save-every", "-1"], ["train", "--lr", "nan"], ["train", "--ngf", "3000"],
    ["sample", "CKPT", "--scale", "0"], ["sample", "CKPT", "--truncation", "nan"], ["sample", "CKPT", "--n", "0"],
    ["filters", "CKPT", "--steps", "0"], ["walk", "CKPT", "--seeds", *map(str, range(1000))],
    ["walk", "CKPT", "--steps", "5000", "--n-keyframes", "4"],
    ["invert", "CKPT", "digit.png", "--bank", "1000000000"], ["invert", "CKPT", *[f"{i}.png" for i in range(2000)]],
    ["directions", "CKPT", "--method", "pca", "--k", "100000"],
                                  ["directions", "CKPT", "--method", "pca", "--cards", "-1"],
    ["timeline", "runs/x", "--n", "0"], ["timeline", "runs/x", "--n", "1000000"],
])
def test_nonsense_numbers_are_refused_before_loading(argv, monkeypatch, capsys):
    import dcgan.checkpoint
    import dcgan.train
    from dcgan.cli import main

    def never(*a, **k):
        raise AssertionError("loaded something before checking its options")

    monkeypatch.setattr(dcgan.train, "load_data", never)
    monkeypatch.setattr(dcgan, "load", never)
    assert main([a if a != "CKPT" else "checkpoints/mnist-32.pt" for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err


# -- training: messages that say what happened ------------------------------------------------------
def test_nan_in_the_first_epoch_says_nothing_was_saved(tmp_path, monkeypatch):
    from dcgan import losses
    from dcgan.errors import TrainingError
    from dcgan.train import train

    real = losses.d_loss
    monkeypatch.setattr(losses, "d_loss", lambda *a: real(*a) * float("nan"))
    with pytest.raises(TrainingError, match="no epoch had finished, so nothing was saved"):
        train(tiny_train_config(tmp_path), progress=False)
    assert not (tmp_path / "last.pt").exists()


def test_resume_with_a_new_lr_applies_it_and_says_so(tmp_path):
    from dcgan.train import train

    train(tiny_train_config(tmp_path), progress=False)
    with pytest.warns(UserWarning, match=r"lr 0.0002 -> 0.001"):
        last = train(tiny_train_config(tmp_path, epochs=2, lr=1e-3), resume=True, progress=False)
    state = torch.load(last, weights_only=True)
    assert {g["lr"] for g in state["opt_G"]["param_groups"] + state["opt_D"]["param_groups"]} == {1e-3}


def test_a_full_disk_says_so_and_stale_temporary_files_go(tmp_path, monkeypatch):
    from dcgan import checkpoint

    (tmp_path / ".last.pt.abc123.tmp").write_bytes(b"left by a killed save")
    checkpoint.save_atomic({"a": torch.zeros(2)}, tmp_path / "last.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]
    before = (tmp_path / "last.pt").read_bytes()

    def short_write(obj, f):
        raise RuntimeError("[enforce fail at inline_container.cc:783] . unexpected pos 62144 vs 62032")

    monkeypatch.setattr(checkpoint.torch, "save", short_write)
    with pytest.raises(CheckpointError, match="the disk is full") as err:
        checkpoint.save_atomic({"a": torch.ones(2)}, tmp_path / "last.pt")
    assert "unexpected pos" not in str(err.value)
    assert (tmp_path / "last.pt").read_bytes() == before and len(list(tmp_path.iterdir())) == 1


# -- directions files (the sliders page's upload, --project-out) ---------------------------------------
def npz_of(members: dict) -> bytes:
    """An .npz built by hand: name -> raw .npy bytes, or an array saved as one."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, value in members.items():
            if not isinstance(value, bytes):
                item = io.BytesIO()
                np.save(item, value, allow_pickle=False)
                value = item.getvalue()
            z.writestr(f"{name}.npy", value)
    return buf.getvalue()


def unit_vectors(k: int, nz: int = 8) -> np.ndarray:
    v = np.random.default_rng(0).standard_normal((k, nz))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_a_directions_file_declaring_a_huge_array_is_refused_from_its_header():
    data = npz_of({"names": np.array(["a"]), "vectors": npy_declaring((10**10, 100))})
    assert len(data) < 1000
    result = attack(f"from dcgan.direction_file import read_directions; read_directions({data!r}, nz=100)")
    assert_refused(result, "too big for a directions file", peak_mb=50)


@pytest.mark.parametrize("case", ["nested cards", "cards of the wrong shape", "infinite span", "nan span",
                                  "spans too few", "10,000 directions"])
def test_crafted_directions_files_are_one_line(case):
    from dcgan.direction_file import read_directions

    k = 10_000 if case == "10,000 directions" else 2
    arrays = {"names": np.array([f"d{i}" for i in range(k)]), "vectors": unit_vectors(k)}
    arrays.update({"nested cards": {"cards": np.array("[" * 100_000 + "]" * 100_000)},
                   "cards of the wrong shape": {"cards": np.array("[1, 2]")},
                   "infinite span": {"spans": np.array([3.0, np.inf])}, "nan span": {"spans": np.array([np.nan, 3.0])},
                   "spans too few": {"spans": np.array([3.0])}}.get(case, {}))
    with pytest.raises(DcganError) as err:
        read_directions(npz_of(arrays), nz=8)
    assert "\n" not in str(err.value)
    good = {"names": arrays["names"][:2], "vectors": arrays["vectors"][:2], "spans": np.array([3.0, 5.0])}
    assert [d.span for d in read_directions(npz_of(good), nz=8)[0]] == [3.0, 5.0]  # a sound file still reads
