// G in the browser: the folded transposed convolutions that dcgan/web_generator.py exports, in plain JS.
// Activations are kept channel-last (H, W, C), so the inner loops run over contiguous channels.
// Hidden layers scatter: each non-zero input value (ReLU leaves about half at zero) adds a weight row
// (cout,) to the outputs it reaches. The output layer (1 or 3 channels) gathers: a dot product over cin.

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

function reorder(flat, e, gather) {
  // torch (cin, cout, k, k) -> scatter (k, k, cin, cout) or gather (k, k, cout, cin)
  const { cin, cout, k } = e, out = new Float32Array(cin * cout * k * k);
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++)
      for (let t = 0; t < k * k; t++) {
        const w = flat[e.weight + ((ci * cout + co) * k * k) + t];
        out[gather ? (t * cout + co) * cin + ci : (t * cin + ci) * cout + co] = w;
      }
  return out;
}

function buildGenerator(bytes, { wasm = wasmSimdWorks() } = {}) {
  // -> a net {layers, size, channels, nz, kernel}; every array lives in one heap (WebAssembly memory if SIMD works)
  const { layout, flat } = unpackGenerator(bytes);
  let size = 1;
  const plans = layout.layers.map((e, i) => {
    const outSize = (size - 1) * e.stride - 2 * e.padding + e.k;
    const plan = { ...e, inSize: size, outSize, gather: i === layout.layers.length - 1 && e.cout < 8 };
    size = outSize;
    return plan;
  });
  const floats = plans.reduce((n, L) => n + L.cin * L.cout * L.k * L.k + 2 * L.cout + L.outSize ** 2 * L.cout + 2 * L.cin, 0);
  const simd = wasm && plans.every((L) => L.gather || L.cout % 4 === 0);
  const memory = simd ? new WebAssembly.Memory({ initial: Math.ceil((floats * 4 + 64) / 65536) }) : null;
  const heap = simd ? memory.buffer : new ArrayBuffer(floats * 4 + 64);
  let offset = 0;
  const alloc = (n, Type = Float32Array) => { const a = new Type(heap, offset, n); offset += Math.ceil(n / 4) * 16; return a; };
  const layers = plans.map((L) => {
    const w = alloc(L.cin * L.cout * L.k * L.k), b = alloc(L.cout);
    w.set(reorder(flat, L, L.gather));
    b.set(flat.subarray(L.bias, L.bias + L.cout));
    return { ...L, w, b, out: alloc(L.outSize ** 2 * L.cout), idx: alloc(L.cin, Int32Array), val: alloc(L.cin) };
  });
  const axpy = simd ? new WebAssembly.Instance(new WebAssembly.Module(axpyModuleBytes()), { env: { mem: memory } }).exports.axpy : null;
  return { layout, layers, size, channels: layers[layers.length - 1].cout, nz: layout.nz, axpy,
           kernel: simd ? "WebAssembly SIMD" : "JavaScript" };
}

function scatterLayer(L, x, axpy) {
  const { inSize, outSize, cin, cout, k, stride, padding, w, b, out, idx, val } = L;
  for (let p = 0; p < outSize * outSize; p++) out.set(b, p * cout);
  for (let iy = 0; iy < inSize; iy++)
    for (let ix = 0; ix < inSize; ix++) {
      const base = (iy * inSize + ix) * cin;
      let nnz = 0;
      for (let ci = 0; ci < cin; ci++) {
        const v = x[base + ci];
        if (v !== 0) { idx[nnz] = ci; val[nnz++] = v; }
      }
      for (let ky = 0; ky < k; ky++) {
        const oy = iy * stride - padding + ky;
        if (oy < 0 || oy >= outSize) continue;
        for (let kx = 0; kx < k; kx++) {
          const ox = ix * stride - padding + kx;
          if (ox < 0 || ox >= outSize) continue;
          const ob = (oy * outSize + ox) * cout, wk = (ky * k + kx) * cin * cout;
          if (axpy) { axpy(out.byteOffset + ob * 4, w.byteOffset + wk * 4, idx.byteOffset, val.byteOffset, nnz, cout * 4); continue; }
          for (let j = 0; j < nnz; j++) {
            const v = val[j], wb = wk + idx[j] * cout;
            for (let co = 0; co < cout; co++) out[ob + co] += v * w[wb + co];
          }
        }
      }
    }
  return out;
}

function gatherLayer(L, x) {
  const { inSize, outSize, cin, cout, k, stride, padding, w, b, out } = L;
  for (let oy = 0; oy < outSize; oy++)
    for (let ox = 0; ox < outSize; ox++)
      for (let co = 0; co < cout; co++) {
        let acc = b[co];
        for (let ky = 0; ky < k; ky++) {
          const ty = oy + padding - ky, iy = ty / stride;
          if (ty < 0 || ty % stride || iy >= inSize) continue;
          for (let kx = 0; kx < k; kx++) {
            const tx = ox + padding - kx, ix = tx / stride;
            if (tx < 0 || tx % stride || ix >= inSize) continue;
            const xb = (iy * inSize + ix) * cin, wb = ((ky * k + kx) * cout + co) * cin;
            for (let ci = 0; ci < cin; ci++) acc += x[xb + ci] * w[wb + ci];
          }
        }
        out[(oy * outSize + ox) * cout + co] = acc;
      }
  return out;
}

function forwardGenerator(net, z) {
  // z: Float32Array (nz,) -> Float32Array (size, size, channels) in [-1, 1], owned by the net
  let x = z;
  for (const L of net.layers) {
    x = L.gather ? gatherLayer(L, x) : scatterLayer(L, x, net.axpy);
    if (L.activation === "relu") { for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0; }
    else { for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i]); }
  }
  return x;
}

function toRGBA(net, y, rgba) {
  // [-1, 1] (H, W, C) -> canvas RGBA bytes, rounded as dcgan.media.to_uint8 rounds
  const c = net.channels, n = net.size * net.size;
  for (let p = 0; p < n; p++)
    for (let j = 0; j < 3; j++) {
      const v = Math.min(1, Math.max(-1, y[p * c + (c === 1 ? 0 : j)]));
      rgba[p * 4 + j] = Math.round((v + 1) * 127.5);
    }
  for (let p = 0; p < n; p++) rgba[p * 4 + 3] = 255;
  return rgba;
}
