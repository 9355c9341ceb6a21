"""Architecture tables: measured shapes agree with the size formulas, parameters add up."""
import torch

import dcgan
from dcgan.summary import architecture


def test_tables_follow_the_size_rules_and_count_every_parameter(tiny_checkpoint):
    model = dcgan.load(tiny_checkpoint)
    tables = architecture(model)
    assert set(tables) == {"Generator", "Discriminator"}
    g, d = tables["Generator"], tables["Discriminator"]
    assert g[-1]["output"] == "1 x 16 x 16" and d[-1]["output"] == "1 x 1 x 1"
    assert sum(r["parameters"] for r in g) == sum(p.numel() for p in model.G.parameters())
    assert sum(r["parameters"] for r in d) == sum(p.numel() for p in model.D.parameters())
    for row in g + d:  # the formula's result is the measured spatial size
        if row["size rule"]:
            assert row["size rule"].endswith(f"= {row['output'].split(' x ')[-1]}")
    assert any("2·(4 − 1) + 4 − 2·1 = 8" in r["size rule"] for r in g)  # 4x4 -> 8x8 transposed conv


def test_stage_column_uses_the_names_filters_and_cli_use(tiny_checkpoint):
    model = dcgan.load(tiny_checkpoint)
    tables = architecture(model)
    for net, rows, last in ((model.G, tables["Generator"], "output"), (model.D, tables["Discriminator"], "logit")):
        stages = list(dict.fromkeys(r["stage"] for r in rows))
        assert stages == net.layer_names + [last]
        ends = [r for i, r in enumerate(rows) if i + 1 == len(rows) or rows[i + 1]["stage"] != r["stage"]]
        assert all("ReLU" in r["type"] for r in ends[:-1])  # each layerK ends at its nonlinearity
    acts = model.D.activations(torch.zeros(1, 1, 16, 16))
    d_rows = tables["Discriminator"]
    for name, act in zip(model.D.layer_names, acts):  # the table's shape for layerK is what filters optimise
        assert [r["output"] for r in d_rows if r["stage"] == name][-1] == " x ".join(map(str, act.shape[1:]))
