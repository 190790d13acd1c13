"""The exported web page in a real headless Chromium, opened from ``file://`` with the network off:
its model step, its sampler and its random numbers against the library's.

Tiny RNN, GRU and LSTM models are trained in the test (two layers for the RNN and GRU, a learned
start state for the LSTM) and saved in float16, as the page holds them; the shipped flagship
``models/shakespeare`` (a 2 x 512 LSTM with a start state, float16) runs too when present.
Screenshots land in ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import TINY_TEXT, train_tiny, write_model_dir
from tolerances import FLOAT32_RECURRENT, assert_same_draws

from benchmarks.browser import CHROMIUM_ARGS, browser_executable
from charrnn import CharRNN, SamplingSettings, generate, sample
from charrnn.engine import Engine
from training.export_web import page_html

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "models" / "shakespeare"
ARTIFACTS = ROOT / "artifacts"
PAGE_TIMEOUT_MS = 180_000
# (form as typed, the library's settings): the app's defaults, a hot temperature with top-k, top-p, greedy
CASES = [
    ({"temperature": "0.8", "topK": "0", "topP": "1", "seed": "5"}, SamplingSettings(0.8), 5),
    ({"temperature": "1.3", "topK": "10", "topP": "1", "seed": "4294967295"}, SamplingSettings(1.3, 10), 2**32 - 1),
    ({"temperature": "0.7", "topK": "0", "topP": "0.9", "seed": "0"}, SamplingSettings(0.7, None, 0.9), 0),
    ({"temperature": "0", "topK": "0", "topP": "1", "seed": "3"}, SamplingSettings(greedy=True), 3),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_executable(folder)), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, tmp_path: Path):
    """``open_page(model_dir, viewport)``: the model's exported page, loaded from file:// offline;
    every request that is not for the file itself is aborted and recorded (none may happen)."""
    contexts, requests, errors = [], [], []

    def open_(model_dir: Path, viewport: dict | None = None, exact: bool = False):
        html = tmp_path / f"{model_dir.name}.html"
        html.write_text(page_html(model_dir, app_url="https://example.org/app", exact=exact), encoding="utf-8")
        context = browser.new_context(viewport=viewport or {"width": 1200, "height": 900})
        context.set_offline(True)
        context.route("**/*", lambda route: only_the_file(route, html.as_uri(), requests))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.as_uri())
        page.wait_for_function("() => window.charrnnPage")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert requests == [] and errors == []


def only_the_file(route, url: str, requests: list[str]) -> None:
    if route.request.url == url:
        route.continue_()
    else:
        requests.append(route.request.url)
        route.abort()


def float16_model_dir(model: CharRNN, directory: Path, name: str) -> Path:
    """A complete model directory with float16 weights, as shipped models and the page hold them."""
    write_model_dir(model, directory, name)
    model.save_pretrained(directory, dtype=torch.float16)
    return directory


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("web-models")
    lstm = train_tiny(TINY_TEXT, "lstm", steps=40, seed=1)
    lstm.add_start_state()
    with torch.no_grad():  # a start state far from zeros, so that starting from it is checked
        lstm.start_h.normal_(0, 0.5)
        lstm.start_c.normal_(0, 0.5)
    return {
        "rnn": float16_model_dir(train_tiny(TINY_TEXT, "rnn", steps=40, layers=2), root / "tiny-rnn", "tiny-rnn"),
        "gru": float16_model_dir(train_tiny(TINY_TEXT, "gru", steps=40, layers=2), root / "tiny-gru", "tiny-gru"),
        "lstm": float16_model_dir(lstm, root / "tiny-lstm", "tiny-lstm"),
    }


def model_dirs(tiny_dirs: dict[str, Path]) -> list[Path]:
    return [*tiny_dirs.values(), *([FLAGSHIP] if (FLAGSHIP / "model.safetensors").exists() else [])]


def page_steps(page, form: dict[str, str]) -> tuple[list[SimpleNamespace], dict]:
    drawn = page.evaluate("f => charrnnPage.sample(f)", form)
    return [SimpleNamespace(char_id=i, char=page_vocab(page)[i]) for i in drawn["ids"]], drawn


def hover_a_character(page) -> int:
    """Hover the first drawn character that is not blank (a newline's span has no box); its index."""
    index = page.evaluate(
        "[...document.querySelectorAll('#out span[data-i]')].find(s => s.textContent.trim()).dataset.i"
    )
    page.hover(f"#out span[data-i='{index}']", timeout=20_000)
    return int(index)


def page_vocab(page) -> list[str]:
    return page.evaluate("charrnnPage.data.vocab")


def test_logits_after_each_of_300_characters_equal_the_engine(open_page, tiny_dirs: dict[str, Path]) -> None:
    for model_dir in model_dirs(tiny_dirs):
        model = CharRNN.from_pretrained(model_dir)
        ids = model.vocab.encode(TINY_TEXT[:300]).ids
        got = np.array(open_page(model_dir).evaluate("ids => charrnnPage.logitsAfter(ids)", ids))  # (300, V)
        want = Engine.for_model(model).forward(np.array([ids]))[0][0]  # (300, V)
        assert got.shape == want.shape == (300, len(model.vocab))
        np.testing.assert_allclose(got, want, **FLOAT32_RECURRENT, err_msg=str(model_dir))


def test_seeded_texts_equal_the_librarys(open_page, tiny_dirs: dict[str, Path]) -> None:
    for model_dir in model_dirs(tiny_dirs):
        model, page = CharRNN.from_pretrained(model_dir), open_page(model_dir)
        prime, length = ("ROMEO:\n", 120) if model_dir == FLAGSHIP else ("To be", 300)
        for form, settings, seed in CASES:
            got, drawn = page_steps(page, {**form, "prime": prime, "length": str(length)})
            assert drawn["notes"] == [] and drawn["settings"]["seed"] == seed
            want = list(generate(model, prime, length, settings, seed))
            assert_same_draws(got, want, seed, settings.greedy)


def test_an_exact_page_of_a_float32_checkpoint_writes_the_apps_texts(open_page, tmp_path: Path) -> None:
    """As the Download tab exports a Train-tab model (saved in float32): the weights kept as they are."""
    model_dir = write_model_dir(train_tiny(TINY_TEXT, "lstm", steps=40, layers=2), tmp_path / "yours", "yours")
    model, page = CharRNN.from_pretrained(model_dir), open_page(model_dir, exact=True)
    assert page.evaluate("charrnnPage.data.weights_dtype") == "float32"
    ids = model.vocab.encode(TINY_TEXT[:300]).ids
    got = np.array(page.evaluate("ids => charrnnPage.logitsAfter(ids)", ids))
    np.testing.assert_allclose(got, Engine.for_model(model).forward(np.array([ids]))[0][0], **FLOAT32_RECURRENT)
    form, settings, seed = CASES[0]
    got, _ = page_steps(page, {**form, "prime": "To be", "length": "300"})
    assert_same_draws(got, list(generate(model, "To be", 300, settings, seed)), seed)


def test_the_generate_button_streams_the_apps_text(open_page, tiny_dirs: dict[str, Path]) -> None:
    model_dir = tiny_dirs["lstm"]
    page = open_page(model_dir)
    page.fill("#prime", "Whether")
    page.fill("#length", "400")
    page.fill("#seed", "11")
    page.click("#generate")
    page.wait_for_function("() => charrnnPage.lastRun.done")
    expected = sample(CharRNN.from_pretrained(model_dir), "Whether", 400, temperature=0.8, seed=11)
    assert page.inner_text("#out") == "Whether" + expected
    assert "400 of 400 characters · T=0.8 · top-k off · top-p off · seed 11" in page.inner_text("#status")
    link = page.get_attribute("#status a", "href")
    assert link.startswith("https://example.org/app/?style=tiny-lstm&prime=Whether&len=400&temp=0.8")
    shown = hover_a_character(page)
    assert page.inner_text("#info").startswith(json.dumps(expected[shown]) + " · drawn with probability")


def test_bad_input_is_explained_and_drawn_as_the_app_draws_it(open_page, tiny_dirs: dict[str, Path]) -> None:
    model_dir = tiny_dirs["gru"]
    model, page = CharRNN.from_pretrained(model_dir), open_page(model_dir)
    base = {"temperature": "0.8", "topK": "0", "topP": "1", "seed": "2", "length": "80"}
    empty, drawn = page_steps(page, {**base, "prime": ""})
    assert drawn["notes"] == ['The prime is empty: the model starts from "\\n", as the app does.']
    assert "".join(s.char for s in empty) == sample(model, "", 80, temperature=0.8, seed=2)
    unknown, drawn = page_steps(page, {**base, "prime": "Tö bé€ 😀"})
    assert drawn["notes"] == [
        '4 character(s) the model has never seen ("ö", "é", "€", "😀"): replaced by a space, the app\'s default policy.'
    ]
    want = sample(model, "Tö bé€ 😀", 80, temperature=0.8, seed=2, unknown="replace")
    assert "".join(s.char for s in unknown) == want
    bad = {"prime": "To", "temperature": "hot", "topK": "-3", "topP": "2", "length": "9000", "seed": "-1"}
    _, drawn = page_steps(page, {**base, **bad})
    assert len(drawn["notes"]) == 5, drawn["notes"]  # each bad value replaced, as the app does, and said
    assert {k: drawn["settings"][k] for k in ("temperature", "topK", "topP", "length")} == {
        "temperature": 0.8,
        "topK": 0,
        "topP": 1,
        "length": 5000,
    }
    assert 0 <= drawn["settings"]["seed"] < 1_000_000


def test_the_generator_equals_numpys_for_20_seeds(open_page, tiny_dirs: dict[str, Path]) -> None:
    page = open_page(tiny_dirs["rnn"])
    seeds = [0, 1, 2, 3, 5, 7, 42, 255, 256, 1234, 65535, 65536, 999_999, 123_456_789]
    seeds += [2**31, 2**32 - 1, 2**32, 2**63 + 5, 2**64 + 1, 10**30]
    for seed in seeds:
        got = page.evaluate("s => charrnnPage.random(s, 1000)", str(seed))
        assert got == np.random.default_rng(seed).random(1000).tolist(), seed


def test_screenshots_on_a_desktop_and_a_phone(open_page, tiny_dirs: dict[str, Path]) -> None:
    model_dir = FLAGSHIP if (FLAGSHIP / "model.safetensors").exists() else tiny_dirs["lstm"]
    ARTIFACTS.mkdir(exist_ok=True)
    for name, viewport in (("desktop", {"width": 1200, "height": 900}), ("phone", {"width": 390, "height": 844})):
        page = open_page(model_dir, viewport)
        page.fill("#length", "300")
        page.click("#generate")
        page.wait_for_function("() => charrnnPage.lastRun.done")
        hover_a_character(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"]  # nothing wider than the screen: no sideways scrolling
        assert page.inner_text("#status").startswith("Done: 300 of 300 characters")
        page.screenshot(path=str(ARTIFACTS / f"web-export-{name}.png"))


@pytest.mark.skipif(not (FLAGSHIP / "model.safetensors").exists(), reason="the shipped models/shakespeare is absent")
def test_stop_ends_a_long_text_midway(open_page) -> None:
    page = open_page(FLAGSHIP)  # slow enough (a few hundred characters a second) to stop midway
    page.fill("#length", "5000")
    page.click("#generate")
    page.wait_for_function("() => charrnnPage.lastRun.chars > 0")
    page.click("#stop")
    page.wait_for_function("() => !document.querySelector('#generate').disabled")
    chars = page.evaluate("charrnnPage.lastRun.chars")
    page.wait_for_timeout(300)  # nothing more is drawn after Stop
    assert 0 < chars < 5000 and page.evaluate("charrnnPage.lastRun.chars") == chars
    assert page.inner_text("#status").startswith(f"Stopped: {chars} of 5000 characters")
    assert len(page.inner_text("#out")) == len("ROMEO:\n") + chars
