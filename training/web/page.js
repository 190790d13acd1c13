// The page: reads the settings as the app reads its links (same bounds, same notes), streams the
// text as it is drawn, and shows each character's probability on hover or tap.
"use strict";

(async () => {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("charrnn-data").textContent);
  $("status").textContent = "Loading the model…";
  let model;
  try {
    model = new CharRNNWeb.Model(data, await CharRNNWeb.loadWeights($("charrnn-weights").textContent.trim(), data.weights_bytes, data.weights_dtype));
  } catch (error) {
    $("status").textContent = `This browser cannot unpack the model (${error}): it needs DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 or later).`;
    $("generate").disabled = true;
    return;
  }
  const limits = data.limits;
  const SLICE_MS = 20; // drawing time between two paints: the text streams while Stop stays responsive

  // ---- settings: the app's rules (playground/params.py) ----
  const real = (text) => (/^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(text) ? Number(text) : null);
  const whole = (text) => (Number.isInteger(real(text)) ? real(text) : null); // "500" and "500.0", as the app
  const round4 = (x) => Math.round(x * 1e4) / 1e4;
  const newSeed = () => Math.floor(Math.random() * 1e6);

  function readSettings(form) {
    // form: {prime, temperature, length, topK, topP, seed} as typed -> the settings drawn with, and notes.
    const notes = [];
    let length = whole(form.length);
    if (length === null) notes.push(`Length "${form.length}" is not a whole number: using ${(length = limits.length_default)}.`);
    else if (length < 1 || length > limits.length_max) {
      length = Math.min(Math.max(length, 1), limits.length_max);
      notes.push(`Length is out of range (1–${limits.length_max}): using ${length}.`);
    }
    let temperature = real(form.temperature), greedy = false;
    if (temperature === null || temperature < 0) {
      notes.push(`Temperature "${form.temperature}" is not a number of 0 or more: using ${(temperature = limits.temperature_default)}.`);
    } else if (temperature === 0) greedy = true;
    else if (temperature < limits.temperature_min || temperature > limits.temperature_max) {
      temperature = Math.min(Math.max(temperature, limits.temperature_min), limits.temperature_max);
      notes.push(`Temperature is out of range (${limits.temperature_min}–${limits.temperature_max}): using ${temperature}.`);
    }
    temperature = greedy ? 1 : round4(temperature);
    let topK = form.topK.trim() === "" ? 0 : whole(form.topK);
    if (topK === null || topK < 0) notes.push(`Top-k "${form.topK}" is not a whole number ≥ 0: top-k is off.`);
    topK = topK > 0 && topK < model.V ? topK : 0; // at or above the vocabulary size: off, as in the app
    let topP = form.topP.trim() === "" ? 1 : real(form.topP);
    if (topP === null || topP <= 0 || topP > 1) {
      notes.push(`Top-p "${form.topP}" is not a number in (0, 1]: top-p is off.`);
      topP = 1;
    } else if (topP < limits.top_p_min) {
      notes.push(`Top-p is below ${limits.top_p_min}: using ${(topP = limits.top_p_min)}.`);
    }
    topP = round4(topP);
    let seed = whole(form.seed);
    if (seed === null || seed < 0 || seed > limits.seed_max) {
      if (form.seed.trim() !== "") notes.push(`Seed "${form.seed}" is not a whole number in 0–${limits.seed_max}: a new seed is used.`);
      seed = newSeed();
    }
    return { settings: { prime: form.prime, length, temperature, topK, topP, greedy, seed }, notes };
  }

  function primeNotes(encoded) {
    const notes = [];
    const shown = (c) => JSON.stringify(c);
    if (encoded.trimmed) notes.push(`The prime is long: only its last ${limits.prime_max} characters are read.`);
    if (encoded.startedEmpty) notes.push(`The prime is empty: the model starts from ${shown(data.vocab[encoded.ids[0]])}, as the app does.`);
    if (encoded.unknown.length) {
      const fill = data.vocab.includes(" ") ? "a space" : shown(data.vocab[0]);
      const list = encoded.unknown.slice(0, 12).map(shown).join(", ") + (encoded.unknown.length > 12 ? " …" : "");
      notes.push(`${encoded.unknownCount} character(s) the model has never seen (${list}): replaced by ${fill}, the app's default policy.`);
    }
    return notes;
  }

  function describe(s) {
    const sampling = s.greedy ? "greedy (temperature 0)" : `T=${s.temperature} · top-k ${s.topK || "off"} · top-p ${s.topP < 1 ? s.topP : "off"} · seed ${s.seed}`;
    return `${s.length} characters · ${sampling}`;
  }

  function appLink(s) {
    if (!data.app_url) return null;
    const query = new URLSearchParams({ style: data.style, prime: s.prime, len: s.length, temp: s.greedy ? 0 : s.temperature, k: s.topK, p: s.topP, seed: s.seed });
    return `${data.app_url.replace(/\/+$/, "")}/?${query}`;
  }

  // ---- drawing: one call for the whole text (tests, benchmarks), or streamed into the page ----
  function draw(form) {
    const { settings, notes } = readSettings(form);
    const encoded = CharRNNWeb.encodePrime(settings.prime, data.vocab, limits.prime_max);
    const steps = CharRNNWeb.generate(model, encoded.ids, settings.length, settings, BigInt(settings.seed));
    return { settings, notes: notes.concat(primeNotes(encoded)), encoded, steps };
  }

  let running = null; // {steps, drawn, t0, stopped}

  function generate(event) {
    event?.preventDefault();
    stop();
    const run = draw(formValues());
    const used = run.settings; // the fields show what was drawn with (a bad value replaced, as the note says)
    const shown = { temperature: used.greedy ? 0 : used.temperature, length: used.length, topK: used.topK, topP: used.topP, seed: used.seed };
    for (const [id, value] of Object.entries(shown)) $(id).value = value;
    $("notes").replaceChildren(...run.notes.map((n) => Object.assign(document.createElement("li"), { textContent: n })));
    const prime = Object.assign(document.createElement("span"), { className: "prime", textContent: data.vocab_text(run.encoded.ids) });
    $("out").replaceChildren(prime);
    running = { ...run, drawn: [], t0: performance.now(), stopped: false };
    page.lastRun = { chars: 0, ms: 0, done: false, settings: run.settings };
    showStatus();
    $("stop").disabled = false;
    $("generate").disabled = true;
    setTimeout(() => stream(running), 0);
  }

  const channel = new MessageChannel();
  let pending = null;
  channel.port1.onmessage = () => pending && stream(pending);

  function stream(run) {
    if (run !== running || run.stopped) return;
    const deadline = performance.now() + SLICE_MS, fragment = document.createDocumentFragment();
    let next = null;
    while (performance.now() < deadline && !(next = run.steps.next()).done) fragment.append(charSpan(run, next.value));
    $("out").append(fragment);
    finishSlice(run, next && next.done);
  }

  function charSpan(run, step) {
    const i = run.drawn.push(step) - 1;
    const span = document.createElement("span");
    span.textContent = data.vocab[step.id];
    span.dataset.i = i;
    if (step.prob < 0.1) span.className = "p0";
    else if (step.prob < 0.3) span.className = "p1";
    else if (step.prob < 0.6) span.className = "p2";
    return span;
  }

  function finishSlice(run, done) {
    page.lastRun = { chars: run.drawn.length, ms: performance.now() - run.t0, done, settings: run.settings };
    showStatus();
    if (done) return end();
    pending = run;
    channel.port2.postMessage(null); // yield to the browser (paint, Stop) without setTimeout's clamping
  }

  function stop() {
    if (!running) return;
    running.stopped = true;
    end();
  }

  function end() {
    pending = null;
    $("stop").disabled = true;
    $("generate").disabled = false;
    showStatus();
  }

  function showStatus() {
    const run = page.lastRun;
    if (!run) return;
    const speed = run.ms > 0 ? ` · ${Math.round((run.chars * 1000) / run.ms)} characters/s in this browser` : "";
    const state = run.done ? "Done" : running && running.stopped ? "Stopped" : "Writing";
    $("status").replaceChildren(`${state}: ${run.chars} of ${describe(run.settings)}${speed}`);
    const link = appLink(run.settings);
    if (link) $("status").append(" · ", Object.assign(document.createElement("a"), { href: link, textContent: "the same in the app" }));
  }

  function showInfo(event) {
    const span = event.target.closest && event.target.closest("span[data-i]");
    if (!span || !running) return;
    const step = running.drawn[Number(span.dataset.i)];
    document.querySelector("#out .picked")?.classList.remove("picked");
    span.classList.add("picked");
    const pct = (p) => `${(100 * p).toFixed(p < 0.001 ? 3 : 1)}%`;
    $("info").innerHTML = "";
    $("info").append(
      Object.assign(document.createElement("b"), { textContent: JSON.stringify(data.vocab[step.id]) }),
      ` · drawn with probability ${pct(step.prob)} · ${pct(step.probRaw)} under the model at temperature 1 · rank ${step.rank} of ${model.V}`,
    );
  }

  const formValues = () => ({
    prime: $("prime").value, temperature: $("temperature").value, length: $("length").value,
    topK: $("topK").value, topP: $("topP").value, seed: $("seed").value,
  });

  // ---- the header, the form's defaults, the handlers ----
  data.vocab_text = (ids) => ids.map((i) => data.vocab[i]).join("");
  function header() {
    document.title = `${data.name} · ${data.project}`;
    $("project").textContent = data.project;
    $("name").textContent = data.name;
    $("about").textContent = `A character-level ${data.cell.toUpperCase()} that writes in your browser, offline: ${data.title || data.corpus}.`;
    const fact = (label, value) => {
      const li = document.createElement("li");
      li.append(`${label} `, Object.assign(document.createElement("b"), { textContent: value }));
      return li;
    };
    $("facts").replaceChildren(
      fact("corpus", data.corpus || "?"),
      fact("licence", data.licence),
      fact("validation", data.val_bits === null ? "not recorded" : `${data.val_bits.toFixed(3)} bits/char`),
      fact("model", `${data.cell.toUpperCase()} ${data.layers}×${data.hidden}, ${data.parameters.toLocaleString("en")} parameters`),
    );
    const same = data.weights_rounded
      ? "the weights were rounded from float32 to float16 here, so a text can part from the app's after a while"
      : "the same seed writes the same text as the app (same model, prime and settings)";
    $("footer").textContent = `${data.project} · ${data.name} · text: ${data.corpus_licence || "see the model card"} · weights in ${data.weights_dtype}, drawn in float32 · ${same} · nothing leaves this page.`;
  }

  header();
  $("status").textContent = "Ready: the model writes here, in this browser.";
  $("prime").value = data.default_prime;
  $("temperature").value = limits.temperature_default;
  $("length").value = limits.length_default;
  $("topK").value = 0;
  $("topP").value = 1;
  $("seed").value = newSeed();
  $("form").addEventListener("submit", generate);
  $("stop").addEventListener("click", stop);
  $("newSeed").addEventListener("click", () => ($("seed").value = newSeed()));
  $("out").addEventListener("mouseover", showInfo);
  $("out").addEventListener("click", showInfo);

  // For tests and benchmarks: the same functions the page uses.
  const page = {
    data, model, draw,
    random: (seed, n) => { const rng = new CharRNNWeb.PCG64(BigInt(seed)); return Array.from({ length: n }, () => rng.random()); },
    logitsAfter: (ids) => { model.reset(); return ids.map((id) => Array.from(model.step(id))); },
    sample: (form) => { const { settings, notes, steps } = draw(form); return { settings, notes, ids: Array.from(steps, (s) => s.id) }; },
    lastRun: null,
  };
  window.charrnnPage = page;
})();
