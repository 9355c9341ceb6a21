"""app/live/generator.js, run by Node: the browser's G equals torch's G(z) to 1/255, with and without WASM SIMD."""
import base64
import json
import shutil
import subprocess

import numpy as np
import pytest
import torch
from helpers import BUNDLED_MNIST, ROOT
from test_web_generator import trained_like_G

import dcgan
from dcgan import web_generator as web
from dcgan.latent import sample_z
from dcgan.media import to_uint8

pytestmark = pytest.mark.slow  # Node against torch

NODE = shutil.which("node") or "/usr/bin/node"
HARNESS = """
const fs = require("fs"), vm = require("vm");
vm.runInThisContext(fs.readFileSync(process.argv[1], "utf8"));
const [weights, zfile, wasm] = process.argv.slice(2);
const net = buildGenerator(new Uint8Array(fs.readFileSync(weights)), { wasm: wasm === "1" });
const z = new Float32Array(new Uint8Array(fs.readFileSync(zfile)).buffer);
const rgba = toRGBA(net, forwardGenerator(net, z), new Uint8ClampedArray(net.size * net.size * 4));
console.log(JSON.stringify({ kernel: net.kernel, size: net.size, rgba: Buffer.from(rgba.buffer).toString("base64") }));
"""


def browser_image(G, z: torch.Tensor, tmp_path, *, wasm: bool, dtype: str = "float32") -> tuple[np.ndarray, str]:
    """generator.js's image of G(z) as uint8 (H, W, 4), and the kernel it used."""
    layout, blob = web.export(web.fold_generator(G), nz=z.shape[0], dtype=dtype)
    (tmp_path / "g.bin").write_bytes(web.pack(layout, blob))
    (tmp_path / "z.bin").write_bytes(z.numpy().astype("<f4").tobytes())
    out = subprocess.run([NODE, "-e", HARNESS, str(ROOT / "app" / "live" / "generator.js"), str(tmp_path / "g.bin"),
                          str(tmp_path / "z.bin"), "1" if wasm else "0"], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    size = result["size"]
    return np.frombuffer(base64.b64decode(result["rgba"]), np.uint8).reshape(size, size, 4), result["kernel"]


def server_image(G, z: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return to_uint8(G(z[None]))[0]  # (H, W, C)


@pytest.mark.parametrize("wasm", [True, False])
def test_js_G_equals_torch_G_on_a_tiny_rgb_model(tmp_path, wasm):
    G = trained_like_G(seed=3)
    z = sample_z(1, 8, seed=4)[0]
    image, kernel = browser_image(G, z, tmp_path, wasm=wasm)
    expected = server_image(G, z)
    assert kernel == ("WebAssembly SIMD" if wasm else "JavaScript")
    assert np.abs(image[..., :3].astype(int) - expected).max() <= 1
    assert (image[..., 3] == 255).all() and expected.std() > 5  # a real picture, fully opaque


def test_js_G_equals_torch_G_on_the_bundled_model_from_float16(tmp_path):
    model = dcgan.load(BUNDLED_MNIST)
    for seed in (0, 1):
        z = sample_z(1, model.config.nz, seed=seed)[0]
        image, kernel = browser_image(model.G, z, tmp_path, wasm=True, dtype="float16")
        expected = server_image(model.G, z)
        assert kernel == "WebAssembly SIMD"
        assert np.abs(image[..., 0].astype(int) - expected[..., 0]).max() <= 2  # the bound: 2/255
        assert (image[..., 0] == image[..., 1]).all()  # grey digits: the one channel drawn as R = G = B


@pytest.mark.parametrize("wasm", [True, False])
def test_channel_counts_that_are_not_multiples_of_4_are_padded_not_lost(tmp_path, wasm):
    G = trained_like_G(seed=5, ngf=5, channels=1)  # 10 and 5 hidden channels, 1 out: SIMD rows padded to 12, 8, 4
    z = sample_z(1, 8, seed=6)[0]
    image, _ = browser_image(G, z, tmp_path, wasm=wasm)
    expected = server_image(G, z)
    assert expected.std() > 5
    assert np.abs(image[..., 0].astype(int) - expected[..., 0]).max() <= 1
