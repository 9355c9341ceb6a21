"""Architecture tables: measured shapes agree with the size formulas, parameters add up."""
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
