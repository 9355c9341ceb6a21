"""A file an uploader refuses is shown as refused: one error line naming it once, and the box emptied (app.uploads).

The checkpoint, z and directions uploads are covered in test_app.py and the image bomb in test_app_security.py;
here the Train page's zip and the Invert page's image, which used to fail only later (at Start or at Find z)."""
import io
import zipfile

import numpy as np
from helpers import ROOT
from PIL import Image
from streamlit.testing.v1 import AppTest

MAIN = str(ROOT / "app" / "main.py")


def page(name: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception and not at.error
    return at


def box(at: AppTest, base: str):
    return next(u for u in at.file_uploader if u.key == base or u.key.startswith(f"{base}-"))


def zip_of(entries: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


def png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (20, 20), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_a_zip_without_images_is_refused_on_upload_and_a_good_one_enables_start():
    at = page("train")
    at.radio(key="train_kind").set_value("upload a .zip").run()
    box(at, "train_zip").set_value(("notes.zip", zip_of({"a.txt": b"no images here"}), "application/zip")).run()
    assert not at.exception and len(at.error) == 1
    line = at.error[0].value
    assert line.startswith("Could not load notes.zip: no readable images") and line.count("notes.zip") == 1
    assert "train-data" not in line and box(at, "train_zip").key != "train_zip" and not box(at, "train_zip").value
    assert at.button(key="train_start").disabled
    box(at, "train_zip").set_value(("faces.zip", zip_of({f"d/{i}.png": png(i) for i in range(3)}), "x")).run()
    assert not at.exception and not at.error  # the refusal's line went with the new upload
    assert not at.button(key="train_start").disabled


def test_an_unreadable_image_is_refused_on_upload_not_at_find_z():
    at = page("invert")
    at.radio(key="invert_source").set_value("Upload").run()
    box(at, "invert_upload").set_value(("cat.png", b"\x89PNG not really" * 20, "image/png")).run()
    assert not at.exception and len(at.error) == 1
    assert at.error[0].value.startswith("Could not load cat.png: not a readable image")
    assert at.error[0].value.count("cat.png") == 1 and not box(at, "invert_upload").value
    assert at.button(key="invert_run").disabled and "invert_result" not in at.session_state
    box(at, "invert_upload").set_value(("ok.png", png(0), "image/png")).run()
    assert not at.exception and not at.error and not at.button(key="invert_run").disabled
