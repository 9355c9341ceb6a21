"""The CLI: train/sample/info/export run end to end; errors are one line, never a traceback."""
import json
import subprocess
import sys

import pytest
from PIL import Image

from dcgan.cli import COMMANDS, build_parser, main

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "dcgan", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_train_sample_info_export_end_to_end(tmp_path):
    out = tmp_path / "run"
    r = run_cli("train", "--data", "digits", "--image-size", "16", "--epochs", "1", "--nz", "8", "--ngf", "8",
                "--ndf", "8", "--batch-size", "64", "--out", out)
    assert r.returncode == 0, r.stderr
    assert (out / "last.pt").is_file() and "epoch 1/1" in r.stderr  # tqdm progress bar on stderr
    assert main(["sample", str(out / "last.pt"), "--n", "16", "--seed", "0", "--out", str(tmp_path / "grid.png")]) == 0
    assert Image.open(tmp_path / "grid.png").size == (4 * 18 + 2, 4 * 18 + 2)  # make_grid: 2px padding
    assert main(["export", str(out / "last.pt"), "--out", str(tmp_path / "g.safetensors")]) == 0
    r = run_cli("info", tmp_path / "g.safetensors")
    assert r.returncode == 0 and json.loads(r.stdout)["config"]["nz"] == 8


def test_error_is_one_line_with_exit_status_2(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_text("hello")
    r = run_cli("sample", junk)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("train", "--data", tmp_path / "missing", "--out", tmp_path / "x")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "unknown data set" in r.stderr


def test_bad_flag_values_are_reported_not_raised(tmp_path):
    r = run_cli("train", "--data", "digits", "--image-size", "48", "--out", tmp_path)
    assert r.returncode == 2 and "power of two" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_examples(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([name, "--help"])
    assert exit_.value.code == 0
    assert "examples:" in capsys.readouterr().out
