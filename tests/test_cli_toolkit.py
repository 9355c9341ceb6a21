"""Every exploration command runs on the bundled model and writes files a user can open."""
import json

from PIL import Image

from dcgan.cli import main


def test_walk(bundled_mnist, tmp_path, capsys):
    assert main(["walk", str(bundled_mnist), "--steps", "3", "--out", str(tmp_path / "w.gif")]) == 0
    assert Image.open(tmp_path / "w.gif").n_frames == 10
    assert "frame-to-frame change" in capsys.readouterr().out


def test_filters(bundled_mnist, tmp_path, capsys):
    assert main(["filters", str(bundled_mnist), "--layer", "layer2", "--channels", "0", "3", "--steps", "8",
                 "--suppress", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"layer2_0.png", "layer2_3.png", "grid.png", "suppressing.png",
                                                    "real_top.png", "real_bottom.png", "report.json"}
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["method"] == "through G" and [r["channel"] for r in report["channels"]] == [0, 3]
    assert all(r["vs_best_random"] > 1 for r in report["channels"])  # 8 steps already beat the random start
    assert "best random G sample" in capsys.readouterr().out


def test_filters_with_no_d_is_one_line(tiny_checkpoint, tmp_path, capsys):
    import dcgan
    from dcgan.checkpoint import export

    g_only = export(dcgan.load(tiny_checkpoint), tmp_path / "g.safetensors")
    assert main(["filters", str(g_only), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no discriminator" in err


def test_umap(bundled_mnist, tmp_path, capsys):
    assert main(["umap", str(bundled_mnist), "--data", "mnist", "--n", "60", "--out", str(tmp_path / "u.html")]) == 0
    page = (tmp_path / "u.html").read_text()  # plotly.js alone is megabytes: look for the map itself
    assert "(120 points)" in capsys.readouterr().out  # 60 real images and 60 samples
    assert page.count("data:image\\u002fpng;base64,") == 120 and "plotly_hover" in page  # each point's hover image


def test_probe(bundled_mnist, capsys):
    assert main(["probe", str(bundled_mnist), "--data", "digits", "--n", "600"]) == 0
    out = capsys.readouterr().out
    assert "D features" in out and "raw pixels" in out and "untrained D" in out and "%" in out


def test_bad_layer_or_channel_is_one_line(bundled_mnist, tmp_path, capsys):
    assert main(["filters", str(bundled_mnist), "--layer", "layer9", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "layer1, layer2, layer3" in err
    assert main(["filters", str(bundled_mnist), "--layer", "layer1", "--channels", "64", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0..63" in err


def test_dissect_ranks_units_and_writes_panels(bundled_mnist, tmp_path, capsys):
    assert main(["dissect", str(bundled_mnist), "--layer", "layer3", "--top", "2", "--out", str(tmp_path)]) == 0
    ranking = json.loads((tmp_path / "ranking.json").read_text())
    assert ranking["layer"] == "layer3" and "digit classifier" in ranking["effect_on"] and len(ranking["units"]) == 64
    shown = [r["unit"] for r in ranking["units"][:2]]
    assert {p.name for p in tmp_path.glob("*.png")} == {f"layer3_unit{u}.png" for u in shown}
    assert main(["dissect", str(bundled_mnist), "--layer", "layer3", "--units", "64", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0..63" in err
