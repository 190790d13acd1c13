// Char-RNN Playground, in the browser: the model's step (RNN, GRU, LSTM, any number of layers, in
// float32), the library's sampling (charrnn/sampling.py: temperature, 0 = greedy, top-k, top-p,
// one uniform per character drawn by inverse CDF) and NumPy's default_rng (SeedSequence + PCG64),
// so a seed here writes the same text as the app. Hand-written; no dependencies.
// Shapes: V vocabulary, H hidden units, E embedding, G = gates * H (RNN 1, GRU 3, LSTM 4).
"use strict";

const CharRNNWeb = (() => {
  // ---- NumPy's SeedSequence (numpy/random/bit_generator.pyx), uint32 arithmetic ----
  const INIT_A = 0x43b0d7e5, MULT_A = 0x931e8875, INIT_B = 0x8b51f9dd, MULT_B = 0x58f38ded;
  const MIX_MULT_L = 0xca01f9dd, MIX_MULT_R = 0x4973f715, XSHIFT = 16, POOL_SIZE = 4;
  const mul32 = (a, b) => Math.imul(a, b) >>> 0;

  function seedWords(seed) {
    // A whole number >= 0 (BigInt) as little-endian uint32 words; 0 is [0].
    if (seed === 0n) return [0];
    const words = [];
    for (let s = seed; s > 0n; s >>= 32n) words.push(Number(s & 0xffffffffn));
    return words;
  }

  function seedPool(seed) {
    const entropy = seedWords(seed);
    let hashConst = INIT_A;
    const hashmix = (value) => {
      value = (value ^ hashConst) >>> 0;
      hashConst = mul32(hashConst, MULT_A);
      value = mul32(value, hashConst);
      return (value ^ (value >>> XSHIFT)) >>> 0;
    };
    const mix = (x, y) => {
      const r = (mul32(MIX_MULT_L, x) - mul32(MIX_MULT_R, y)) >>> 0;
      return (r ^ (r >>> XSHIFT)) >>> 0;
    };
    const pool = [];
    for (let i = 0; i < POOL_SIZE; i++) pool.push(hashmix(i < entropy.length ? entropy[i] : 0));
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
    }
    for (let src = POOL_SIZE; src < entropy.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
    }
    return pool;
  }

  function generateState64(pool, n64) {
    // generate_state(n64, np.uint64): 2 * n64 uint32 words, read in pairs, low word first.
    let hashConst = INIT_B;
    const words = [];
    for (let i = 0; i < 2 * n64; i++) {
      let value = (pool[i % POOL_SIZE] ^ hashConst) >>> 0;
      hashConst = mul32(hashConst, MULT_B);
      value = mul32(value, hashConst);
      words.push((value ^ (value >>> XSHIFT)) >>> 0);
    }
    const out = [];
    for (let i = 0; i < n64; i++) out.push((BigInt(words[2 * i + 1]) << 32n) | BigInt(words[2 * i]));
    return out;
  }

  // ---- PCG64 (XSL-RR 128/64), as numpy/random/src/pcg64 seeds and steps it ----
  const MASK64 = (1n << 64n) - 1n, MASK128 = (1n << 128n) - 1n;
  const PCG_MULT = (2549297995355413924n << 64n) + 4865540595714422341n;

  class PCG64 {
    constructor(seed) {
      const [s0, s1, i0, i1] = generateState64(seedPool(BigInt(seed)), 4);
      this.inc = (((i0 << 64n) | i1) << 1n | 1n) & MASK128;
      this.state = 0n;
      this.advance();
      this.state = (this.state + ((s0 << 64n) | s1)) & MASK128;
      this.advance();
    }

    advance() {
      this.state = (this.state * PCG_MULT + this.inc) & MASK128;
    }

    nextUint64() {
      this.advance();
      const s = this.state;
      const xored = ((s >> 64n) ^ s) & MASK64;
      const rot = s >> 122n;
      return ((xored >> rot) | (xored << ((64n - rot) & 63n))) & MASK64;
    }

    random() {
      // Generator.random(): the top 53 bits of the next uint64, in [0, 1).
      return Number(this.nextUint64() >> 11n) * 2 ** -53;
    }
  }

  // ---- weights: float16 bytes (little-endian) -> float32 ----
  function float16Table() {
    const table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
      if (exponent === 0) table[h] = sign * fraction * 2 ** -24;
      else if (exponent === 31) table[h] = fraction ? NaN : sign * Infinity;
      else table[h] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
    }
    return table;
  }

  // Python's base64.b85encode alphabet with "<", ">", "&" swapped for ",", ".", ":" (safe in a <script>).
  const BASE85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%:()*+-;,=.?@^_`{|}~";

  function decodeBase85(text, length) {
    // 5 characters -> 4 bytes, big-endian; the first `length` bytes.
    const digit = new Uint8Array(128);
    for (let i = 0; i < 85; i++) digit[BASE85.charCodeAt(i)] = i;
    const bytes = new Uint8Array((text.length / 5) * 4), view = new DataView(bytes.buffer);
    for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
      let value = 0;
      for (let j = 0; j < 5; j++) value = value * 85 + digit[text.charCodeAt(i + j)];
      view.setUint32(o, value);
    }
    return bytes.subarray(0, length);
  }

  async function loadWeights(text, length, dtype) {
    // The exporter's text -> every weight as float32: base85, gunzip (the browser's own), then
    // float16 -> float32 (or float32 as it is: an exact export of a float32 checkpoint).
    const stream = new Blob([decodeBase85(text, length)]).stream().pipeThrough(new DecompressionStream("gzip"));
    const buffer = await new Response(stream).arrayBuffer();
    if (dtype === "float32") return new Float32Array(buffer);
    const halves = new Uint16Array(buffer);
    const table = float16Table(), out = new Float32Array(halves.length);
    for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
    return out;
  }

  // ---- the model: CharRNN's eval-mode step ----
  const GATES = { rnn: 1, gru: 3, lstm: 4 };
  const sigmoid = (x) => 1 / (1 + Math.exp(-x));

  function matvec(w, rows, cols, x, out, bias) {
    // out (rows) = bias + W (rows, cols) x (cols); W row-major as PyTorch stores it. Four rows at a
    // time, two columns a turn: each x[j] is read once for four rows and eight sums run side by side
    // (measured 1.7x faster in V8 than one row at a time).
    let r = 0;
    for (; r + 3 < rows; r += 4) {
      const r0 = r * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, j = 0;
      for (; j + 1 < cols; j += 2) {
        const x0 = x[j], x1 = x[j + 1];
        a0 += w[r0 + j] * x0; a1 += w[r1 + j] * x0; a2 += w[r2 + j] * x0; a3 += w[r3 + j] * x0;
        b0 += w[r0 + j + 1] * x1; b1 += w[r1 + j + 1] * x1; b2 += w[r2 + j + 1] * x1; b3 += w[r3 + j + 1] * x1;
      }
      if (j < cols) {
        const x0 = x[j];
        a0 += w[r0 + j] * x0; a1 += w[r1 + j] * x0; a2 += w[r2 + j] * x0; a3 += w[r3 + j] * x0;
      }
      out[r] = bias[r] + (a0 + b0);
      out[r + 1] = bias[r + 1] + (a1 + b1);
      out[r + 2] = bias[r + 2] + (a2 + b2);
      out[r + 3] = bias[r + 3] + (a3 + b3);
    }
    for (; r < rows; r++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += w[r * cols + j] * x[j];
      out[r] = bias[r] + sum;
    }
  }

  class Model {
    constructor(spec, values) {
      const t = {};
      for (const { name, shape, offset } of spec.tensors) {
        t[name] = values.subarray(offset, offset + shape.reduce((a, b) => a * b, 1));
      }
      this.cell = spec.cell;
      this.L = spec.layers;
      this.H = spec.hidden;
      this.V = spec.vocab.length;
      this.G = GATES[this.cell] * this.H;
      this.layers = [];
      for (let k = 0; k < this.L; k++) this.layers.push(this.layer(t, k));
      this.table = this.inputTable(t);
      this.headW = t["head.weight"];
      this.headB = t["head.bias"];
      const zeros = new Float32Array(this.L * this.H);
      this.startH = t.start_h || zeros;
      this.startC = t.start_c || zeros;
      this.h = [...Array(this.L)].map(() => new Float32Array(this.H));
      this.c = [...Array(this.L)].map(() => new Float32Array(this.H));
      this.gi = new Float32Array(this.G); // (G,) input side W_ih x + b_ih
      this.gh = new Float32Array(this.G); // (G,) hidden side W_hh h + b_hh
      this.logits = new Float32Array(this.V);
      this.reset();
    }

    layer(t, k) {
      return {
        wih: t[`rnn.weight_ih_l${k}`], // (G, E or H)
        whh: t[`rnn.weight_hh_l${k}`], // (G, H)
        bih: t[`rnn.bias_ih_l${k}`],
        bhh: t[`rnn.bias_hh_l${k}`],
        inputs: k === 0 ? t["embed.weight"].length / this.V : this.H,
      };
    }

    inputTable(t) {
      // Layer 0's input side for every character (V, G): embedding -> W_ih -> b_ih, a row lookup per step.
      const first = this.layers[0], table = new Float32Array(this.V * this.G), E = first.inputs;
      for (let v = 0; v < this.V; v++) {
        matvec(first.wih, this.G, E, t["embed.weight"].subarray(v * E, (v + 1) * E), table.subarray(v * this.G, (v + 1) * this.G), first.bih);
      }
      return table;
    }

    reset() {
      // The model's start state (learned, or zeros).
      for (let k = 0; k < this.L; k++) {
        this.h[k].set(this.startH.subarray(k * this.H, (k + 1) * this.H));
        this.c[k].set(this.startC.subarray(k * this.H, (k + 1) * this.H));
      }
    }

    step(id) {
      // Feed one character id; return the logits (V,) for the next one (a buffer the next step reuses).
      for (let k = 0; k < this.L; k++) {
        const layer = this.layers[k];
        if (k === 0) this.gi.set(this.table.subarray(id * this.G, (id + 1) * this.G));
        else matvec(layer.wih, this.G, this.H, this.h[k - 1], this.gi, layer.bih);
        matvec(layer.whh, this.G, this.H, this.h[k], this.gh, layer.bhh);
        this[this.cell](this.gi, this.gh, this.h[k], this.c[k]);
      }
      matvec(this.headW, this.V, this.H, this.h[this.L - 1], this.logits, this.headB);
      return this.logits;
    }

    rnn(gi, gh, h) {
      for (let j = 0; j < this.H; j++) h[j] = Math.tanh(gi[j] + gh[j]);
    }

    lstm(gi, gh, h, c) {
      // PyTorch's gate order: i, f, g, o.
      const H = this.H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gi[j] + gh[j]), f = sigmoid(gi[H + j] + gh[H + j]);
        const g = Math.tanh(gi[2 * H + j] + gh[2 * H + j]), o = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * Math.tanh(c[j]);
      }
    }

    gru(gi, gh, h) {
      // r, z, n: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = n + z * (h - n).
      const H = this.H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j]);
        const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
        h[j] = n + z * (h[j] - n);
      }
    }

    prime(ids) {
      // Start state, then read the prime: the logits (V,) after its last character.
      this.reset();
      let logits = null;
      for (const id of ids) logits = this.step(id);
      return logits;
    }
  }

  // ---- sampling: charrnn/sampling.py, step for step ----
  function softmax(logits, temperature) {
    // softmax(logits / temperature) in float64, shifted by the maximum.
    const z = Float64Array.from(logits);
    if (temperature !== 1) for (let i = 0; i < z.length; i++) z[i] /= temperature;
    let max = -Infinity, sum = 0;
    for (const v of z) max = Math.max(max, v);
    for (let i = 0; i < z.length; i++) sum += z[i] = Math.exp(z[i] - max);
    for (let i = 0; i < z.length; i++) z[i] /= sum;
    return z;
  }

  function argmax(p) {
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    return best;
  }

  function filterDistribution(probs, topK, topP) {
    // The topK most likely (stable order: ties keep the lower id first), then the smallest head whose
    // mass reaches topP, renormalised. topK 0 and topP 1 are off.
    const size = probs.length;
    let keep = topK ? Math.min(topK, size) : size;
    const nucleus = topP < 1;
    if (keep === size && !nucleus) return probs;
    const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]);
    if (nucleus) {
      const cumulative = new Float64Array(size);
      let sum = 0;
      for (let i = 0; i < size; i++) cumulative[i] = sum += probs[order[i]];
      const target = topP * cumulative[size - 1];
      let first = 0;
      while (first < size && cumulative[first] < target) first++; // searchsorted, side left
      keep = Math.min(keep, first + 1);
    }
    if (keep === size) return probs;
    const out = new Float64Array(size);
    let total = 0;
    for (let i = 0; i < keep; i++) total += out[order[i]] = probs[order[i]];
    for (let i = 0; i < size; i++) out[i] /= total;
    return out;
  }

  function choose(probs, uniform) {
    // Inverse CDF: the first id whose cumulative mass exceeds uniform * total (searchsorted, side right).
    let sum = 0;
    const cumulative = new Float64Array(probs.length);
    for (let i = 0; i < probs.length; i++) cumulative[i] = sum += probs[i];
    const target = uniform * cumulative[probs.length - 1];
    let id = 0;
    while (id < probs.length && cumulative[id] <= target) id++;
    return Math.min(id, probs.length - 1);
  }

  function* generate(model, ids, length, settings, seed) {
    // Yields {id, prob, probRaw, rank} for `length` characters after the prime ids, as
    // charrnn.sampling.generate draws them. settings: {temperature, topK, topP, greedy}.
    const rng = new PCG64(seed);
    let logits = model.prime(ids);
    for (let position = 0; position < length; position++) {
      const raw = softmax(logits, 1);
      let final;
      if (settings.greedy) {
        final = new Float64Array(raw.length);
        final[argmax(raw)] = 1;
      } else {
        const tempered = settings.temperature === 1 ? raw : softmax(logits, settings.temperature);
        final = filterDistribution(tempered, settings.topK, settings.topP);
      }
      const id = settings.greedy ? argmax(final) : choose(final, rng.random());
      let rank = 1;
      for (const p of raw) if (p > raw[id]) rank++;
      yield { id, prob: final[id], probRaw: raw[id], rank };
      if (position + 1 < length) logits = model.step(id);
    }
  }

  // ---- the prime: the app's default policy ----
  function encodePrime(text, vocab, maxChars) {
    // The app's rules: its last maxChars characters; characters outside the vocabulary replaced by a
    // space (or the first character when there is no space); nothing left: start from a newline
    // (or the first character).
    const index = new Map(vocab.map((c, i) => [c, i]));
    let chars = Array.from(text);
    const trimmed = Math.max(0, chars.length - maxChars);
    chars = chars.slice(trimmed);
    const fill = index.has(" ") ? index.get(" ") : 0;
    const unknown = [...new Set(chars.filter((c) => !index.has(c)))];
    const ids = chars.map((c) => (index.has(c) ? index.get(c) : fill));
    const startedEmpty = ids.length === 0;
    if (startedEmpty) ids.push(index.has("\n") ? index.get("\n") : 0);
    return { ids, unknown, unknownCount: chars.filter((c) => !index.has(c)).length, trimmed, startedEmpty };
  }

  return { PCG64, Model, loadWeights, softmax, filterDistribution, choose, generate, encodePrime };
})();
