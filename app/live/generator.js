// G in the browser: the folded transposed convolutions that dcgan/web_generator.py exports, in plain JS.
// Activations are kept channel-last (H, W, C), so the inner loops run over contiguous channels.
// Every layer scatters: each non-zero input value (ReLU leaves about half at zero) adds a weight row
// (cout,) to the outputs it reaches. Channels are padded with zeros to multiples of 4, so the row is
// whole SIMD vectors for any model (1 or 3 output channels become 4).

const HALF = (() => {  // float16 bit pattern -> float32 value, for all 65,536 patterns
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 31, frac = h & 1023;
    table[h] = exp === 0 ? sign * frac * 2 ** -24
      : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return table;
})();

// The scatter's inner loop as WebAssembly SIMD (4 floats per instruction), assembled here from its bytes:
// axpyRows(ob, wk, idxp, valp, nnz, coutBytes): for j < nnz, out[ob:] += val[j] * w[wk + idx[j] * cout:].
const AXPY_BODY = [
  0x02, 0x04, 0x7f, 0x01, 0x7b,  // locals: 4 x i32 (j, wb, o, end), 1 x v128 (v)
  0x02, 0x40, 0x03, 0x40,  // block, loop (over j)
  0x20, 6, 0x20, 4, 0x4f, 0x0d, 1,  // if j >= nnz: break
  0x20, 3, 0x20, 6, 0x41, 2, 0x74, 0x6a, 0x2a, 2, 0, 0xfd, 0x13, 0x21, 10,  // v = splat(val[j])
  0x20, 2, 0x20, 6, 0x41, 2, 0x74, 0x6a, 0x28, 2, 0, 0x20, 5, 0x6c, 0x20, 1, 0x6a, 0x21, 7,  // wb = wk + idx[j] * coutBytes
  0x20, 0, 0x21, 8, 0x20, 0, 0x20, 5, 0x6a, 0x21, 9,  // o = ob; end = ob + coutBytes
  0x03, 0x40,  // loop (over 4 channels at a time)
  0x20, 8, 0x20, 8, 0xfd, 0, 4, 0, 0x20, 10, 0x20, 7, 0xfd, 0, 4, 0, 0xfd, 0xe6, 1, 0xfd, 0xe4, 1, 0xfd, 0x0b, 4, 0,
  0x20, 7, 0x41, 16, 0x6a, 0x21, 7, 0x20, 8, 0x41, 16, 0x6a, 0x22, 8, 0x20, 9, 0x49, 0x0d, 0,  // wb += 16; o += 16; loop while o < end
  0x0b, 0x20, 6, 0x41, 1, 0x6a, 0x21, 6, 0x0c, 0, 0x0b, 0x0b, 0x0b,  // j += 1; continue; end loop, block, function
];

function section(id, body) { return [id, ...leb(body.length), ...body]; }
function leb(n) { const out = []; do { let b = n & 127; n >>>= 7; if (n) b |= 128; out.push(b); } while (n); return out; }

function axpyModuleBytes() {
  const code = [...leb(AXPY_BODY.length), ...AXPY_BODY];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),  // (i32 x 6) -> ()
    ...section(2, [1, 3, 0x65, 0x6e, 0x76, 3, 0x6d, 0x65, 0x6d, 2, 0, 1]),  // import env.mem, 1 page minimum
    ...section(3, [1, 0]),
    ...section(7, [1, 4, 0x61, 0x78, 0x70, 0x79, 0, 0]),  // export "axpy"
    ...section(10, [1, ...code])]);
}

function wasmSimdWorks() {
  try { return typeof WebAssembly === "object" && WebAssembly.validate(axpyModuleBytes()); } catch (e) { return false; }
}

function unpackGenerator(bytes) {
  // bytes: Uint8Array from web_generator.pack -> {layout, flat: Float32Array of every weight and bias}
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  const layout = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n)));
  const start = bytes.byteOffset + 4 + n, count = layout.count;
  const copy = bytes.buffer.slice(start, start + count * (layout.dtype === "float16" ? 2 : 4));
  let flat;
  if (layout.dtype === "float16") {
    const half = new Uint16Array(copy);
    flat = new Float32Array(count);
    for (let i = 0; i < count; i++) flat[i] = HALF[half[i]];
  } else {
    flat = new Float32Array(copy);
  }
  return { layout, flat };
}

const pad4 = (n) => Math.ceil(n / 4) * 4;

function reorder(flat, L) {
  // torch (cin, cout, k, k) -> (k, k, cinP, coutP), channels padded with zeros to multiples of 4 for SIMD
  const { cin, cout, k, cinP, coutP } = L, out = new Float32Array(k * k * cinP * coutP);
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++)
      for (let t = 0; t < k * k; t++) out[(t * cinP + ci) * coutP + co] = flat[L.weight + (ci * cout + co) * k * k + t];
  return out;
}

function planLayers(layout) {
  let size = 1;
  return layout.layers.map((e) => {
    const outSize = (size - 1) * e.stride - 2 * e.padding + e.k;
    const plan = { ...e, inSize: size, outSize, cinP: pad4(e.cin), coutP: pad4(e.cout) };
    size = outSize;
    return plan;
  });
}

function buildGenerator(bytes, { wasm = wasmSimdWorks() } = {}) {
  // -> a net {layers, size, channels, nz, kernel}; every array lives in one heap (WebAssembly memory if SIMD works)
  const { layout, flat } = unpackGenerator(bytes);
  const plans = planLayers(layout);
  const floats = plans.reduce((n, L) => n + L.k * L.k * L.cinP * L.coutP + L.coutP + L.outSize ** 2 * L.coutP + 2 * L.cinP, pad4(layout.nz));
  const memory = wasm ? new WebAssembly.Memory({ initial: Math.ceil((floats * 4 + 64) / 65536) }) : null;
  const heap = wasm ? memory.buffer : new ArrayBuffer(floats * 4 + 64);
  let offset = 0;
  const alloc = (n, Type = Float32Array) => { const a = new Type(heap, offset, n); offset += n * 4; return a; };
  const z = alloc(pad4(layout.nz));
  const layers = plans.map((L) => {
    const w = alloc(L.k * L.k * L.cinP * L.coutP), b = alloc(L.coutP);
    w.set(reorder(flat, L));
    b.set(flat.subarray(L.bias, L.bias + L.cout));
    return { ...L, w, b, out: alloc(L.outSize ** 2 * L.coutP), idx: alloc(L.cinP, Int32Array), val: alloc(L.cinP) };
  });
  const axpy = wasm ? new WebAssembly.Instance(new WebAssembly.Module(axpyModuleBytes()), { env: { mem: memory } }).exports.axpy : null;
  const last = layers[layers.length - 1];
  return { layout, layers, z, size: last.outSize, channels: last.cout, stride: last.coutP, nz: layout.nz, axpy,
           kernel: wasm ? "WebAssembly SIMD" : "JavaScript" };
}

function nonZeros(x, base, n, idx, val) {
  // ReLU leaves about half of the activations at zero: list the others once per input pixel
  let nnz = 0;
  for (let ci = 0; ci < n; ci++) {
    const v = x[base + ci];
    if (v !== 0) { idx[nnz] = ci; val[nnz++] = v; }
  }
  return nnz;
}

function scatterLayer(L, x, axpy) {
  // out (outSize, outSize, coutP) = bias + the transposed convolution of x (inSize, inSize, cinP)
  const { inSize, outSize, cinP, coutP, k, stride, padding, w, b, out, idx, val } = L;
  for (let p = 0; p < outSize * outSize; p++) out.set(b, p * coutP);
  for (let iy = 0; iy < inSize; iy++)
    for (let ix = 0; ix < inSize; ix++) {
      const nnz = nonZeros(x, (iy * inSize + ix) * cinP, cinP, idx, val);
      for (let ky = 0; ky < k; ky++) {
        const oy = iy * stride - padding + ky;
        if (oy < 0 || oy >= outSize) continue;
        for (let kx = 0; kx < k; kx++) {
          const ox = ix * stride - padding + kx;
          if (ox < 0 || ox >= outSize) continue;
          const ob = (oy * outSize + ox) * coutP, wk = (ky * k + kx) * cinP * coutP;
          if (axpy) { axpy(out.byteOffset + ob * 4, w.byteOffset + wk * 4, idx.byteOffset, val.byteOffset, nnz, coutP * 4); continue; }
          for (let j = 0; j < nnz; j++) {
            const v = val[j], wb = wk + idx[j] * coutP;
            for (let co = 0; co < coutP; co++) out[ob + co] += v * w[wb + co];
          }
        }
      }
    }
  return out;
}

function forwardGenerator(net, z) {
  // z: Float32Array (nz,) -> Float32Array (size, size, stride) in [-1, 1], owned by the net (stride = channels padded)
  net.z.set(z);
  let x = net.z;
  for (const L of net.layers) {
    x = scatterLayer(L, x, net.axpy);
    if (L.activation === "relu") { for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0; }
    else { for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i]); }
  }
  return x;
}

function toRGBA(net, y, rgba) {
  // [-1, 1] (H, W, stride) -> canvas RGBA bytes, rounded as dcgan.media.to_uint8 rounds; one channel is grey
  const { channels: c, stride } = net, n = net.size * net.size;
  for (let p = 0; p < n; p++) {
    for (let j = 0; j < 3; j++) {
      const v = Math.min(1, Math.max(-1, y[p * stride + (c === 1 ? 0 : j)]));
      rgba[p * 4 + j] = Math.round((v + 1) * 127.5);
    }
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}
