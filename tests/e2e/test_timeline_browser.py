"""The Timeline page in headless Chromium: a run's epochs are measured in the background, the metrics show, the
scrubber moves them, and no traceback reaches the page. Regenerates assets/screenshot-timeline.png."""
import pytest
import torch
from helpers import BUNDLED_MNIST, SCREENSHOTS, wait_for_app

pytestmark = pytest.mark.e2e


def write_epochs(run, noise=(0.6, 0.25)) -> None:
    """Slim epoch_001.pt, epoch_002.pt beside the run's last.pt: the bundled model with shrinking weight noise, so
    that each epoch differs from the next as a training run's would (last.pt stays the finished model)."""
    import dcgan
    from dcgan.checkpoint import export

    for epoch, scale in enumerate(noise, start=1):
        model = dcgan.load(BUNDLED_MNIST)
        gen = torch.Generator().manual_seed(epoch)
        with torch.no_grad():
            for net in (model.G, model.D):
                for w in net.parameters():
                    w.add_(scale * w.std() * torch.randn(w.shape, generator=gen))
        model.meta["epoch"] = epoch
        export(model, run / f"epoch_{epoch:03d}.pt", include_d=True)


def metric_values(page) -> list[str]:
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def no_traceback(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in page.locator("[data-testid='stMain']").inner_text()


def test_timeline_page_measures_a_run_and_the_scrubber_moves_the_metrics(streamlit_url, app_runs_dir, page):
    write_epochs(app_runs_dir / "mnist-32")  # the fixture's finished, published run
    page.goto(f"{streamlit_url}/timeline")
    wait_for_app(page, timeout=120_000)
    no_traceback(page)
    assert "3 saved epoch(s)" in page.locator("[data-testid='stMain']").inner_text()
    for label in ("Images per epoch", "Map points (each kind)"):  # the fewest (300 and 100): the claims still hold
        slider = page.locator("[data-testid='stSlider']").filter(has=page.get_by_text(label, exact=True))
        slider.locator("input[type='range']").focus()
        page.keyboard.press("Home")
        page.wait_for_timeout(500)
        wait_for_app(page, timeout=120_000)
    page.get_by_role("button", name="Measure every epoch").click()
    page.locator("[data-testid='stProgress']").first.wait_for(timeout=60_000)  # measured in the background
    page.locator("[data-testid='stMetricValue']").first.wait_for(timeout=600_000)  # AlignedUMAP compiles first
    wait_for_app(page, timeout=120_000)
    last = metric_values(page)
    assert len(last) == 3 and all(v.replace(".", "", 1).isdigit() for v in last)  # FD, precision, recall
    scrubber = page.locator("[data-testid='stSlider']").filter(has=page.get_by_text("Epoch", exact=True))
    thumb = scrubber.locator("input[type='range']")  # Streamlit's sliders are range inputs
    thumb.focus()
    page.keyboard.press("Home")  # scrub to the first epoch
    page.wait_for_timeout(800)
    wait_for_app(page, timeout=120_000)
    first = metric_values(page)
    assert first != last and float(first[0]) > float(last[0])  # epoch 1 (noisiest weights) has the larger FD
    print(f"timeline FD, precision, recall at epoch 1 {first}, at the last epoch {last}")
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "the same 300 real images" in text and "the same 100 real images" in text  # measured as set above
    assert "at epoch 1 (epoch_001.pt)" in page.locator("[data-testid='stMain']").inner_text()
    assert page.locator(".js-plotly-plot").count() >= 2  # the aligned map and the curves
    no_traceback(page)
    page.screenshot(path=str(SCREENSHOTS / "screenshot-timeline.png"), full_page=True)
