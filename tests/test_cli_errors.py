"""Every bad input to every CLI command: exit status 2 and one short line on stderr, never a traceback.

The table covers each command `python -m dcgan --help` lists; in-process `main(argv)` keeps it fast, and two
cases run as real processes to show that nothing else (a warning, a traceback) reaches the terminal.
"""
import subprocess
import sys

import pytest
from helpers import BUNDLED_MNIST, ROOT

from dcgan.cli import COMMANDS, main

CKPT = str(BUNDLED_MNIST)

# (argv with {ckpt} the bundled model, {g} a G-only export, {junk} a text file, {file} a regular file, {tmp} a folder;
#  a fragment the one line must contain)
BAD = [
    (["train", "--data", "digits", "--image-size", "48", "--out", "{tmp}/r"], "power of two"),
    (["train", "--data", "no-such-set", "--out", "{tmp}/r"], "unknown data set"),
    (["train", "--data", "digits", "--epochs", "0", "--out", "{tmp}/r"], "--epochs"),
    (["train", "--data", "digits", "--loss", "hinge2", "--out", "{tmp}/r"], "loss"),
    (["train", "--data", "digits", "--image-size", "16", "--out", "{file}/r"], "{file}"),
    (["train", "--data", "digits", "--ema-decay", "1.5", "--out", "{tmp}/r"], "--ema-decay"),
    (["train", "--data", "digits", "--lr-d", "0", "--out", "{tmp}/r"], "--lr-d"),
    (["train", "--data", "digits", "--image-size", "16", "--init-from", "{ckpt}", "--out", "{tmp}/r"], "differs"),
    (["train", "--data", "digits", "--image-size", "32", "--init-from", "{g}", "--out", "{tmp}/r"], "no discriminator"),
    (["train", "--config", "{junk}"], "cannot read it as JSON"),
    (["train", "--config", "{tmp}/missing.json"], "missing.json"),
    (["sample", "{ckpt}", "--truncation", "0"], "--truncation"),
    (["sample", "{ckpt}", "--n", "-3"], "--n"),
    (["sample", "{ckpt}", "--n", "abc"], "--n"),
    (["sample", "{ckpt}", "--n", "4", "--out", "{file}/grid.png"], "cannot write"),
    (["sample", "{ckpt}", "--n", "4", "--out", "{tmp}/grid.txt"], ".png"),
    (["sample", "{tmp}/missing.pt"], "no such file"),
    (["sample", "{junk}"], "error"),
    (["info", "{junk}"], "error"),
    (["info"], "checkpoint"),
    (["export", "{ckpt}", "--out", "{tmp}/g.txt"], ".safetensors"),
    (["export", "{g}", "--with-d", "--out", "{tmp}/gd.pt"], "discriminator"),
    (["web", "{ckpt}", "--out", "{file}/g.bin"], "cannot write"),
    (["web", "{ckpt}", "--dtype", "int8"], "--dtype"),
    (["walk", "{ckpt}", "--seeds", "5"], "two keyframes"),
    (["walk", "{ckpt}", "--steps", "0"], "--steps"),
    (["walk", "{ckpt}", "--out", "{tmp}/w.webm"], ".gif or .mp4"),
    (["walk", "{ckpt}", "--n-keyframes", "1"], "--n-keyframes"),
    (["filters", "{g}"], "discriminator"),
    (["filters", "{ckpt}", "--layer", "layer9"], "layer"),
    (["filters", "{ckpt}", "--layer", "layer1", "--channels", "9999"], "channel"),
    (["dissect", "{ckpt}", "--layer", "9"], "layer"),
    (["dissect", "{ckpt}", "--layer", "layer2", "--units", "9999"], "unit"),
    (["umap", "{g}", "--n", "20"], "discriminator"),
    (["umap", "{ckpt}", "--data", "no-such-set"], "unknown data set"),
    (["calibrate", "{g}", "--out", "{tmp}/c.pt"], "discriminator"),
    (["calibrate", "{ckpt}"], "--out"),
    (["probe", "{g}", "--n", "20"], "discriminator"),
    (["probe", "{ckpt}", "--seeds", "0"], "--seeds"),
    (["eval", "{ckpt}", "--truncation", "0"], "--truncation"),
    (["eval", "{ckpt}", "--data", "no-such-set"], "unknown data set"),
    (["timeline", "{tmp}/no-such-run"], "no-such-run"),
    (["timeline", "{tmp}"], "last.pt"),
    (["directions", "{ckpt}", "--method", "magic"], "magic"),
    (["directions", "{ckpt}", "--method", "pca", "--project-out", "{tmp}/missing.npz"], "missing.npz"),
    (["invert", "{ckpt}", "{tmp}/missing.png", "--out", "{tmp}/inv"], "missing.png"),
    (["invert", "{ckpt}", "{junk}", "--out", "{tmp}/inv"], "cannot read"),
    (["landscape", "{ckpt}", "--directions", "magic"], "magic"),
    (["landscape", "{ckpt}", "--grid", "1"], "--grid"),
    (["landscape", "{g}"], "discriminator"),
    (["no-such-command"], "no-such-command"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    assert main(["export", CKPT, "--out", str(tmp / "g.safetensors")]) == 0  # what `export` writes by default: G only
    (tmp / "junk.txt").write_text("not a checkpoint\n")
    (tmp / "a-file").write_bytes(b"")
    return {"ckpt": CKPT, "g": str(tmp / "g.safetensors"), "junk": str(tmp / "junk.txt"), "file": str(tmp / "a-file")}


def _fill(items, files, tmp):
    return [s.format(tmp=tmp, **files) for s in items]


def test_the_table_covers_every_command():
    assert {argv[0] for argv, _ in BAD} >= set(COMMANDS)


@pytest.mark.parametrize("argv,fragment", BAD, ids=[" ".join(a[:2] + a[2:4]) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(argv, fragment, files, tmp_path, capsys):
    try:
        status = main(_fill(argv, files, tmp_path))
    except SystemExit as exit_:  # argparse's own refusals
        status = exit_.code
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert _fill([fragment], files, tmp_path)[0] in err and len(err) <= 300, err


def test_image_size_is_refused_before_any_data_loads(monkeypatch, tmp_path, capsys):
    import dcgan.data
    import dcgan.train

    def no_loading(*args, **kwargs):
        raise AssertionError("data was loaded before the image size was checked")

    for module in (dcgan.data, dcgan.train):
        monkeypatch.setattr(module, "load_data", no_loading)
    assert main(["train", "--data", "digits", "--image-size", "48", "--out", str(tmp_path / "r")]) == 2
    assert "power of two" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["walk", CKPT, "--seeds", "5"], ["sample", CKPT, "--out", "{file}/grid.png"]])
def test_a_real_process_prints_no_traceback(argv, files, tmp_path):
    done = subprocess.run([sys.executable, "-m", "dcgan", *_fill(argv, files, tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
