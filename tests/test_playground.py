"""Unit tests of the app-side logic in ``playground/`` (no Streamlit involved)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from fakehub import running_fake_hub
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tolerances import FLOAT32, FLOAT32_RECURRENT

from charrnn import CharRNN, SamplingSettings, UnknownCharactersError, generate
from charrnn.metrics import surprisal_nats
from charrnn.sampling import encode_prime
from playground import charts, html, table
from playground.pages.download import snippets
from playground.pages.generate import generation
from playground.pages.score import scoring
from playground.pages.training import timeline
from playground.session import catalog, hub, params
from playground.session.params import Settings
from playground.trace import Trace

# ---------------------------------------------------------------- catalogue and path safety


def test_models_root_defaults_beside_the_app_and_follows_the_environment(tmp_path: Path) -> None:
    assert catalog.models_root(tmp_path, {}) == tmp_path / "models"
    assert catalog.models_root(tmp_path, {"CHARRNN_MODELS_DIR": "/srv/m"}) == Path("/srv/m")
    assert catalog.models_root(tmp_path, {"CHARRNN_MODELS_DIR": "  "}) == tmp_path / "models"


@pytest.mark.parametrize("name", ["shakespeare", "tiny-lstm", "gpt_2", "v1.2", "A9"])
def test_plain_names_are_valid(name: str) -> None:
    assert catalog.is_valid_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "..", "../etc", "a/b", "/etc", "a\\b", ".hidden", "-x", "a..b", "x" * 101, "name with space", "é", "a\0b"],
)
def test_names_that_could_reach_elsewhere_are_invalid(name: str) -> None:
    assert not catalog.is_valid_name(name)


def test_resolve_model_dir_stays_inside_the_root(tiny_models_root: Path, tmp_path: Path) -> None:
    assert catalog.resolve_model_dir(tiny_models_root, "tiny-lstm") == tiny_models_root / "tiny-lstm"
    for bad in ("../etc", "/etc", "nope", "tiny-lstm/../tiny-gru"):
        with pytest.raises(catalog.UnsafeNameError):
            catalog.resolve_model_dir(tiny_models_root, bad)
    root = tmp_path / "models"
    root.mkdir()
    outside = tmp_path / "outside"
    shutil.copytree(tiny_models_root / "tiny-gru", outside)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "alias").symlink_to(root / "escape", target_is_directory=True)
    with pytest.raises(catalog.UnsafeNameError, match="outside"):
        catalog.resolve_model_dir(root, "escape")
    with pytest.raises(catalog.UnsafeNameError, match="outside"):
        catalog.resolve_model_dir(root, "alias")


def test_scan_reads_every_field_without_loading_weights(tiny_models_root: Path, tiny_model: CharRNN) -> None:
    infos = catalog.scan_models(tiny_models_root)
    assert [i.key for i in infos] == ["tiny-gru", "tiny-lstm"]
    lstm = infos[1]
    assert lstm.error is None and lstm.history_error is None
    assert (lstm.cell, lstm.layers, lstm.hidden, lstm.embedding) == ("lstm", 1, 32, 16)
    assert lstm.parameters == tiny_model.num_parameters and lstm.vocab_size == len(tiny_model.vocab)
    assert (lstm.corpus, lstm.title, lstm.author, lstm.hardware) == ("tiny-hamlet", "Hamlet excerpt", "test", "test")
    assert lstm.val_loss == 2.0 and lstm.val_bits == pytest.approx(2.0 / math.log(2))
    assert lstm.train_time_s == 1.0 and lstm.default_prime == "To"
    caption = lstm.caption()
    for part in ("Hamlet excerpt", "LSTM 1×32", "parameters", "nats/char", "bits/char", "1 s", "test"):
        assert part in caption
    assert f"perplexity {math.exp(2.0):.2f}" in caption  # e^(nats/char), the course's measure
    assert catalog.default_style(infos) == "tiny-gru"


def test_the_sidebar_groups_styles_by_what_they_show(tmp_path: Path) -> None:
    """The course's own models (min-char-rnn, its LaTeX and kernel-C demos) under one heading, the
    architecture comparison under another, every other shipped style under "The styles"."""
    keys = ["shakespeare", "latex", "linux", "minrnn-tolstoy", "shakespeare-gru", "python", "latex-2"]
    infos = [catalog.ModelInfo(key, tmp_path / key, tmp_path) for key in keys]
    infos.append(catalog.ModelInfo("hf:someone/x", tmp_path, tmp_path, source="hub"))
    groups = {group: [i.key for i in members] for group, members in catalog.grouped(infos)}
    assert groups == {
        "styles": ["shakespeare", "python", "latex-2"],
        "course": ["latex", "linux", "minrnn-tolstoy"],
        "comparison": ["shakespeare-gru"],
        "hub": ["hf:someone/x"],
    }
    assert list(groups) == [g for g in catalog.GROUPS if g in groups]  # headings in the sidebar's order


def test_broken_directories_are_listed_with_their_error(tiny_models_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    shutil.copytree(tiny_models_root, root)
    (root / "no-config").mkdir()
    (root / "bad-json").mkdir()
    (root / "bad-json" / "config.json").write_text("{oops")
    (root / "not-charrnn").mkdir()
    (root / "not-charrnn" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    shutil.copytree(root / "tiny-gru", root / "training")
    (root / "training" / "model.safetensors").unlink()
    outside = tmp_path / "elsewhere"
    shutil.copytree(root / "tiny-gru", outside)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "linked-config").mkdir()
    (root / "linked-config" / "config.json").symlink_to(outside / "config.json")
    (root / "bad name").mkdir()
    (root / ".hidden").mkdir()
    (root / "notes.txt").write_text("not a model")
    infos = {i.key: i for i in catalog.scan_models(root)}
    assert ".hidden" not in infos and "notes.txt" not in infos
    assert infos["tiny-gru"].error is None and infos["tiny-lstm"].error is None
    assert "config.json is missing" in infos["no-config"].error
    assert "not valid JSON" in infos["bad-json"].error
    assert "not written by charrnn" in infos["not-charrnn"].error
    assert "model.safetensors is missing" in infos["training"].error
    assert infos["training"].cell == "gru"  # what is known is still shown
    assert "outside" in infos["escape"].error
    assert "not a regular file inside" in infos["linked-config"].error
    assert "rename" in infos["bad name"].error
    keys = [i.key for i in catalog.scan_models(root)]
    assert keys[:2] == ["tiny-gru", "tiny-lstm"]  # usable ones first


def test_history_problems_only_disable_the_timeline(tiny_models_root: Path, tmp_path: Path) -> None:
    directory = tmp_path / "m"
    shutil.copytree(tiny_models_root / "tiny-lstm", directory)
    (directory / "history.json").write_text("[1, 2")
    info = catalog.read_model_info(directory, "m", tmp_path)
    assert info.error is None and "not valid JSON" in info.history_error
    assert info.default_prime == "The "


def test_safe_file_refuses_links_out_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "secret").write_text("s")
    (tmp_path / "m" / "README.md").symlink_to(tmp_path / "secret")
    (tmp_path / "m" / "config.json").write_text("{}")
    assert catalog.safe_file(tmp_path / "m", "README.md") is None
    assert catalog.safe_file(tmp_path / "m", "README.md", base=tmp_path) is not None
    assert catalog.safe_file(tmp_path / "m", "config.json") == tmp_path / "m" / "config.json"
    assert catalog.safe_file(tmp_path / "m", "missing.json") is None


def test_read_json_sees_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"v": 1}')
    assert catalog.read_json(path) == {"v": 1}
    path.write_text('{"v": 22}')
    os.utime(path, ns=(1, 10**18))
    assert catalog.read_json(path) == {"v": 22}


def test_default_prime_and_formatting() -> None:
    assert catalog.default_prime(set("ROMEO:"), "ROMEO:") == "ROMEO:"
    assert catalog.default_prime(set("The x"), "ROMEO:") == "The "
    assert catalog.default_prime(set("abc"), None) == ""
    assert [catalog.format_count(n) for n in (999, 45_000, 3_290_000)] == ["999", "45.0k", "3.29M"]
    assert [catalog.format_duration(s) for s in (42, 600, 3660 + 300)] == ["42 s", "10 min", "1 h 06 min"]


# ---------------------------------------------------------------- Hub repo ids


@pytest.mark.parametrize(
    ("text", "repo"),
    [
        ("alice/charrnn-shakespeare", "alice/charrnn-shakespeare"),
        ("  alice/charrnn  ", "alice/charrnn"),
        ("https://huggingface.co/alice/charrnn", "alice/charrnn"),
        ("https://huggingface.co/alice/charrnn/tree/main", "alice/charrnn"),
        ("gpt2", "gpt2"),
    ],
)
def test_repo_ids_are_parsed(text: str, repo: str) -> None:
    assert hub.parse_repo_id(text) == repo
    assert hub.repo_of(hub.hub_key(repo)) == repo


@pytest.mark.parametrize(
    "text",
    [
        "",
        "../etc",
        "alice/../x",
        "a/b/c",
        "/abs/path",
        "alice--x/y",
        "al ice/x",
        "a/.git",
        "C:\\models",
        "alice/x.",
        "~/models",
    ],
)
def test_repo_ids_that_could_name_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        hub.parse_repo_id(text)


def test_hub_download_errors_and_size_limit(
    tiny_models_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {n: (tiny_models_root / "tiny-lstm" / n).read_bytes() for n in catalog.MODEL_FILES}
    with running_fake_hub(monkeypatch, tmp_path / "cache") as fake:
        fake.add_repo("alice/tiny", files)
        fake.add_repo("alice/not-charrnn", {"README.md": b"# hi"})
        path = hub.download("alice/tiny")
        assert sorted(p.name for p in path.iterdir()) == sorted(catalog.MODEL_FILES)
        assert catalog.read_model_info(path, "hf:alice/tiny", hub.cache_root(path), "hub").error is None
        with pytest.raises(hub.HubError, match="not found"):
            hub.download("alice/nope")
        with pytest.raises(hub.HubError, match="not a charrnn model"):
            hub.download("alice/not-charrnn")
        monkeypatch.setattr(hub, "MAX_DOWNLOAD_BYTES", 1000)
        with pytest.raises(hub.HubError, match="too large"):
            hub.download("alice/tiny")


# ---------------------------------------------------------------- settings and the query string


def test_defaults_and_full_round_trip() -> None:
    s, notes = params.parse_query({})
    assert s == Settings() and notes == []
    full = Settings.of(
        style="tiny-lstm",
        prime="ROMEO:\n",
        length=777,
        temperature=1.25,
        greedy=True,
        top_k=7,
        top_p=0.9,
        seed=123,
        unknown="skip",
        keep="ab c",
        tab="score",
    )
    again, notes = params.parse_query(params.to_query(full))
    assert again == full and notes == []
    assert "prime" not in params.to_query(Settings(seed=1))  # None: the style's own default
    assert params.parse_query({"prime": ""})[0].prime == ""


@pytest.mark.parametrize(
    ("query", "check", "note"),
    [
        ({"len": "100000"}, lambda s: s.length == params.LENGTH_MAX, "out of range"),
        ({"len": "0"}, lambda s: s.length == params.LENGTH_MIN, "out of range"),
        ({"len": "abc"}, lambda s: s.length == params.LENGTH_DEFAULT, "not a whole number"),
        ({"temp": "0"}, lambda s: s.sampling.greedy, "greedy"),
        ({"temp": "-1"}, lambda s: s.sampling.temperature == params.TEMPERATURE_DEFAULT, "not a number above 0"),
        ({"temp": "nan"}, lambda s: s.sampling.temperature == params.TEMPERATURE_DEFAULT, "not a number"),
        ({"temp": "99"}, lambda s: s.sampling.temperature == params.TEMPERATURE_MAX, "above"),
        ({"temp": "1e-9"}, lambda s: s.sampling.temperature == params.TEMPERATURE_MIN, "below"),
        ({"k": "-3"}, lambda s: s.sampling.top_k is None, "top-k is off"),
        ({"p": "0"}, lambda s: s.sampling.top_p is None, "top-p is off"),
        ({"p": "1.5"}, lambda s: s.sampling.top_p is None, "above 1"),
        ({"p": "1e-5"}, lambda s: s.sampling.top_p == params.TOP_P_MIN, "below"),
        ({"seed": "-1"}, lambda s: s.seed is None, "new seed"),
        ({"seed": "x"}, lambda s: s.seed is None, "new seed"),
        ({"unknown": "explode"}, lambda s: s.unknown == params.POLICY_DEFAULT, "policy"),
        ({"greedy": "maybe"}, lambda s: not s.sampling.greedy, "greedy is off"),
        ({"style": "../../etc"}, lambda s: s.style is None, "not a model name"),
        ({"style": "/etc/passwd"}, lambda s: s.style is None, "not a model name"),
        ({"style": "hf:a/../b"}, lambda s: s.style is None, "not a model name"),
        ({"prime": "x" * 100_000}, lambda s: len(s.prime) == params.PRIME_MAX, "last"),
        ({"keep": "y" * 9_000}, lambda s: len(s.keep) == params.LENGTH_MAX, "first"),
    ],
)
def test_bad_query_values_are_fixed_and_said(query: dict, check, note: str) -> None:
    s, notes = params.parse_query(query)
    assert check(s)
    assert len(notes) == 1 and note in notes[0]


def test_query_details() -> None:
    assert params.parse_query({"len": ["5", "9"]})[0].length == 9  # a repeated key: the last wins
    assert params.parse_query({"len": "300.0"})[0].length == 300
    assert params.parse_query({"prime": "a\ud800b"})[0].prime == "ab"  # lone surrogates cannot travel
    assert params.parse_query({"keep": "abc", "len": "2"})[0].length == 3  # the kept text fits
    assert params.parse_query({"style": "hf:alice/charrnn"})[0].style == "hf:alice/charrnn"
    assert params.parse_query({"tab": "nope"})[0].tab == "generate"


def test_sampling_settings_switch_off_what_does_nothing() -> None:
    s = Settings.of(top_k=65, top_p=1.0).sampling_for(65)
    assert s.top_k is None and s.top_p is None and not s.greedy
    assert Settings.of(top_k=65).sampling.top_k == 65  # kept as given: another model may know more characters
    assert Settings.of(top_k=5, top_p=0.5).sampling_for(65) == SamplingSettings(0.8, 5, 0.5, False)
    assert Settings.of(top_k=0).sampling == Settings().sampling == SamplingSettings(params.TEMPERATURE_DEFAULT)
    assert Settings.of(temperature=0).sampling_for(65).greedy
    assert Settings(seed=1).same_sample(Settings(seed=1, tab="score"))
    assert not Settings(seed=1).same_sample(Settings(seed=2))


def test_every_setting_round_trips_at_its_bounds_and_default() -> None:
    """The spec table is the one source: each setting goes through the link at its bounds and default."""
    flat = {f.name for f in dataclasses.fields(Settings) + dataclasses.fields(SamplingSettings)} - {"sampling"}
    assert sorted(spec.field for spec in params.SPECS) == sorted(flat)
    queries = ["style", "prime", "len", "greedy", "temp", "k", "p", "seed", "unknown", "keep", "tab"]
    assert [spec.query for spec in params.SPECS] == queries  # the links' format
    for spec in params.SPECS:
        values = [spec.default] + ([spec.low, spec.high] if spec.widget in ("number", "slider") else [])
        for value in values:
            s = Settings.of(**{spec.field: value})
            again, notes = params.parse_query(params.to_query(s))
            assert again == s and notes == [], (spec.field, value)
            assert (spec.query in params.to_query(s)) == (spec.always or value != spec.default)
            if spec.field != "temperature" or value != 0:  # 0 means greedy: the one value not kept as given
                assert spec.get(again) == value


query_values = st.one_of(
    st.text(max_size=60),
    st.lists(st.text(max_size=20), max_size=3),
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{0,4})?(e-?[0-9]{1,3})?", fullmatch=True),
)


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            ["style", "prime", "len", "temp", "greedy", "k", "p", "seed", "unknown", "keep", "tab", "other"]
        ),
        query_values,
    )
)
@example({"temp": "1e-10"})
@example({"p": "1e-5"})
def test_any_query_gives_settings_in_bounds(query: dict) -> None:
    s, _ = params.parse_query(query)
    assert params.LENGTH_MIN <= s.length <= params.LENGTH_MAX
    sampling = s.sampling
    assert 0 < sampling.temperature <= params.TEMPERATURE_MAX
    assert sampling.top_k is None or 0 < sampling.top_k <= params.TOP_K_MAX  # None: off
    assert sampling.top_p is None or 0 < sampling.top_p < 1
    assert s.seed is None or 0 <= s.seed <= params.SEED_MAX
    assert s.unknown in ("error", "skip", "replace") and s.tab in params.tab_names()
    assert s.prime is None or len(s.prime) <= params.PRIME_MAX
    assert len(s.keep) <= s.length
    s.sampling_for(65)  # always valid for the library
    encoded = params.to_query(s)  # and always encodable into a URL
    "&".join(f"{k}={v}" for k, v in encoded.items()).encode("utf-8")
    assert params.parse_query(encoded)[0].same_sample(s)


# ---------------------------------------------------------------- primes, branching, the stream


def test_prepare_prime_follows_the_library(tiny_model: CharRNN) -> None:
    for text, policy in [("To be", "error"), ("", "error"), ("Tö bé", "skip"), ("Tö bé", "replace"), ("éé", "skip")]:
        prime = generation.prepare_prime(tiny_model, text, policy)
        assert prime.ids == encode_prime(tiny_model, text, policy).ids
        assert prime.text == tiny_model.vocab.decode(prime.ids)
    assert generation.prepare_prime(tiny_model, "", "error").started_empty
    assert generation.prepare_prime(tiny_model, "éé", "skip").started_empty  # all skipped: nothing readable
    assert not generation.prepare_prime(tiny_model, "éé", "replace").started_empty
    skipped = generation.prepare_prime(tiny_model, "Tö bé€", "skip")
    assert skipped.unknown == ["ö", "é", "€"] and skipped.unknown_count == 3 and skipped.text == "T b"
    with pytest.raises(UnknownCharactersError):
        generation.prepare_prime(tiny_model, "é", "error")
    long = generation.prepare_prime(tiny_model, "a" * 100_000 + "To", "error")
    assert long.trimmed == 100_000 + 2 - params.PRIME_MAX and long.text.endswith("To")
    assert len(long.ids) == params.PRIME_MAX


def test_stream_without_keep_is_generate(tiny_model: CharRNN) -> None:
    settings_ = SamplingSettings(0.9, 10, 0.95)
    prime = generation.prepare_prime(tiny_model, "To", "error")
    ours = list(generation.stream(tiny_model, prime, 60, settings_, 5))
    theirs = list(generate(tiny_model, "To", 60, settings_, seed=5))
    assert "".join(s.char for s in ours) == "".join(s.char for s in theirs)
    assert [s.position for s in ours] == list(range(60))


def test_stream_with_keep_continues_after_the_kept_text(tiny_model: CharRNN) -> None:
    settings_ = SamplingSettings(0.8)
    prime = generation.prepare_prime(tiny_model, "To", "error")
    steps = list(generation.stream(tiny_model, prime, 50, settings_, 9, keep="be, or"))
    text = "".join(s.char for s in steps)
    assert len(steps) == 50 and text.startswith("be, or") and [s.position for s in steps] == list(range(50))
    assert text[6:] == "".join(s.char for s in generate(tiny_model, "Tobe, or", 44, settings_, seed=9))
    assert len(list(generation.stream(tiny_model, prime, 3, settings_, 9, keep="be, or"))) == 6  # keep wins
    with pytest.raises(ValueError, match="does not know"):
        list(generation.stream(tiny_model, prime, 10, settings_, 9, keep="€"))


def test_forced_steps_report_what_the_model_gave_the_drawn_characters(tiny_model: CharRNN) -> None:
    settings_ = SamplingSettings(0.7, 8)
    drawn = list(generate(tiny_model, "To", 40, settings_, seed=2))
    prime = generation.prepare_prime(tiny_model, "To", "error")
    forced = generation.forced_steps(tiny_model, prime.ids, "".join(s.char for s in drawn), settings_)
    for a, b in zip(drawn, forced, strict=True):
        assert (a.char, a.rank) == (b.char, b.rank)
        # forced steps read the text in one pass, generate steps one character at a time: across paths
        np.testing.assert_allclose([a.prob_raw, a.prob], [b.prob_raw, b.prob], **FLOAT32)
        np.testing.assert_allclose(a.probs_tempered, b.probs_tempered, **FLOAT32)
    nxt = generation.next_distribution(tiny_model, prime.ids, "".join(s.char for s in drawn[:-1]), settings_)
    np.testing.assert_allclose(nxt[0], drawn[-1].probs_raw, **FLOAT32)


def test_tempered_reshapes_like_softmax_of_logits() -> None:
    raw = np.array([0.6, 0.3, 0.1])
    np.testing.assert_allclose(charts.tempered(raw, 1.0), raw)
    cold, hot = charts.tempered(raw, 0.1), charts.tempered(raw, 10.0)
    assert cold[0] > 0.99 and hot.max() - hot.min() < 0.1 and cold.sum() == pytest.approx(1)


# ---------------------------------------------------------------- trace, table, colours


@pytest.fixture(scope="module")
def trace(tiny_model: CharRNN) -> Trace:
    steps = list(generate(tiny_model, "To", 120, SamplingSettings(0.8, 10), seed=1))
    return Trace.from_steps(steps, len(tiny_model.vocab))


def test_trace_holds_every_step(trace: Trace, tiny_model: CharRNN) -> None:
    assert len(trace) == 120 and trace.probs_raw.shape == (120, len(tiny_model.vocab))
    np.testing.assert_allclose(trace.probs.sum(axis=1), 1, atol=1e-5)
    assert 0 < trace.bits_per_char < 10
    empty = Trace.from_steps([], 5)
    assert len(empty) == 0 and empty.probs.shape == (0, 5) and math.isnan(empty.bits_per_char)


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        (" ", "␣"),
        ("\n", "⏎"),
        ("\t", "⇥"),
        ("\r", "␍"),
        ("\0", "␀"),
        ("\x1b", "␛"),
        ("\u200b", "U+200B"),
        ("\u00a0", "⍽"),
        ("a", "a"),
        ("é", "é"),
    ],
)
def test_whitespace_is_visible(char: str, shown: str) -> None:
    assert table.visible(char) == shown


def test_percent() -> None:
    assert [table.percent(p) for p in (1.0, 0.41, 0.095, 0.012, 0.00012, 1e-9)] == [
        "100%",
        "41%",
        "10%",
        "1.2%",
        "0.012%",
        "<0.01%",
    ]


def test_probability_table_has_a_row_per_character(trace: Trace, tiny_model: CharRNN) -> None:
    frame = table.probability_table(trace, tiny_model.vocab.chars, k=4, temperature_label="T=0.8")
    assert len(frame) == len(trace)
    assert list(frame.columns) == [*table.COLUMNS, "#1", "#2", "#3", "#4", "top model", "top T=0.8"]
    assert frame["char"].tolist() == [table.visible(c) for c in trace.chars]
    assert (frame["rank"] >= 1).all() and frame["p"].between(0, 1).all()
    first = frame.iloc[0]
    best = int(np.argmax(trace.probs_raw[0]))
    assert first["#1"].startswith(table.visible(tiny_model.vocab.chars[best]))
    assert "→" in first["#1"] and len(first["top model"]) == 4
    assert first["top model"] == sorted(first["top model"], reverse=True)
    assert (frame["rank"] == 1).sum() == sum(
        f.startswith(table.visible(c)) for f, c in zip(frame["#1"], trace.chars, strict=True)
    )


def test_top_alternatives_and_distribution_frame() -> None:
    probs = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]])
    assert table.top_alternatives(probs, 2).tolist() == [[1, 2], [0, 1]]
    frame = table.distribution_frame(["a", " ", "c"], {"raw": probs[0], "hot": probs[1]}, chosen=0, limit=1)
    assert frame["char"].tolist() == ["␣", "␣", "a", "a"] and frame["chosen"].tolist() == [False, False, True, True]


def test_coloured_html_escapes_and_marks(trace: Trace) -> None:
    out = html.probability_html(
        ("<", "&", "\n", " "),
        np.array([1.0, 0.0, 0.5, 0.2]),
        np.ones(4),
        np.ones(4),
        prefix="<script>",
        selected=1,
        kept=1,
        sample_id=7,
    )
    assert 'data-sample="7"' in out and "data-sample" not in html.probability_html(("a",), *[np.ones(1)] * 3)
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out and "⏎" in out
    assert "hsl(120" in out and "hsl(0" in out and "outline" in out and "underline" in out
    assert out.count('title="#') == 4
    marked = html.marked_prime("Tö", {"ö"}, "replace", " ")
    assert "<mark" in marked and "→␣" in marked
    assert "line-through" in html.marked_prime("Tö", {"ö"}, "skip", " ")
    assert html.surprise_colour(float("nan")) == "#e5e7eb" and html.surprise_colour(0.0) == html.prob_colour(1.0)


# ---------------------------------------------------------------- score mode


def test_the_stack_spaces_moments_evenly_in_log_steps() -> None:
    records = [{"step": s, "sample": "x"} for s in (0, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, 250000)]
    shown = [r["step"] for r in timeline.stack(records)]
    assert shown == [100, 300, 3000, 10000, 30000, 250000]  # from step 100 on, up to six, the end always
    few = [{"step": s, "sample": "x"} for s in (0, 10, 30)]
    assert timeline.stack(few) == few  # nothing at step 100 yet: every moment there is
    assert timeline.perplexity_text(math.log(4.0)) == "4.00" and timeline.perplexity_text(None) == "—"


def test_score_agrees_with_the_library_metric(tiny_model: CharRNN) -> None:
    text = "To be, or not to be, that is the question:\n" * 3
    result = scoring.score_text(tiny_model, text, "error")
    reference = surprisal_nats(tiny_model, tiny_model.vocab.encode(text).ids) / math.log(2)
    # every character is scored, the first one from the start state (zeros for this model); the Score
    # tab's engine against the library's PyTorch pass, through 130 recurrent steps
    np.testing.assert_allclose(result.bits, reference, **FLOAT32_RECURRENT)
    assert result.bits_per_char == pytest.approx(reference.mean(), rel=1e-4, abs=1e-4)
    assert result.scored == len(text) and result.nats_per_char == pytest.approx(result.bits_per_char * math.log(2))
    np.testing.assert_allclose(result.prob, 2**-result.bits, **FLOAT32)  # exp and log2 differ by CPU
    assert (result.rank >= 1).all() and result.expected[0].count("%") == scoring.GUESSES


def test_score_policies_limits_and_errors(tiny_model: CharRNN, monkeypatch: pytest.MonkeyPatch) -> None:
    result = scoring.score_text(tiny_model, "Tö be", "replace")
    assert result.unknown == ["ö"] and "".join(result.chars) == "T  be"
    with pytest.raises(UnknownCharactersError):
        scoring.score_text(tiny_model, "Tö be", "error")
    with pytest.raises(ValueError, match="at least one"):
        scoring.score_text(tiny_model, "ö", "skip")
    assert scoring.score_text(tiny_model, "T", "error").scored == 1
    monkeypatch.setattr(scoring, "SCORE_MAX", 50)
    monkeypatch.setattr(scoring, "CHUNK", 7)  # state carried across chunks
    chunked = scoring.score_text(tiny_model, "To be, or not to be " * 5, "error")
    assert chunked.truncated == 50 and len(chunked.chars) == 50
    whole = surprisal_nats(tiny_model, tiny_model.vocab.encode(("To be, or not to be " * 5)[:50]).ids) / math.log(2)
    np.testing.assert_allclose(chunked.bits, whole, **FLOAT32_RECURRENT)  # engine chunks vs PyTorch
    frame = table.score_table(chunked.chars, chunked.bits, chunked.prob, chunked.rank, chunked.expected)
    assert len(frame) == 50


# ---------------------------------------------------------------- timeline and charts


def test_timeline_from_history(tiny_models_root: Path) -> None:
    history = json.loads((tiny_models_root / "tiny-lstm" / "history.json").read_text())
    frame = timeline.loss_frame(history)
    assert len(frame) == 4 + 3  # 4 train losses, 3 validation ones (the first is null)
    assert set(frame["split"]) == {"train", "validation"}
    assert frame["bits"].tolist() == pytest.approx((frame["nats"] / math.log(2)).tolist())
    points = timeline.points(history)
    assert [p["step"] for p in points] == [0, 10, 30, 60]
    assert timeline.point_label(points[1]) == "step 10 · epoch 0.17"
    assert timeline.loss_text(None) == "—" and timeline.loss_text(math.log(2), "bits") == "1.000"
    assert timeline.loss_text(1.0) == "1.000" and timeline.loss_text(float("nan")) == "—"
    broken = {"records": [{"step": "x"}, {"step": 5, "train_loss": float("nan")}, {"step": 6, "train_loss": 1}]}
    assert timeline.loss_frame(broken)["step"].tolist() == [6]
    assert timeline.stage_notes(history) == []
    stages = [
        {"until_step": 2106, "changed": {"epochs": [6.0, 16.0], "lr": [0.002, 0.001]}},
        {"until_step": 3000, "changed": {"epochs": "6 -> 16"}},  # malformed: still one line, no traceback
        "not a stage",
    ]
    assert timeline.stage_notes({"stages": stages}) == [
        "step 2,106: epochs 6 → 16, lr 0.002 → 0.001",
        "step 3,000: options changed",
    ]
    assert timeline.stage_notes({"stages": {"x": 1}}) == []


def test_chart_specs_are_plain_json(trace: Trace, tiny_model: CharRNN, tiny_models_root: Path) -> None:
    vocab = tiny_model.vocab.chars
    frame = table.distribution_frame(vocab, {"model": trace.probs_raw[0]}, 3)
    specs = [
        charts.distribution_spec(frame, ["model"], "t"),
        charts.temperature_spec(
            charts.temperature_frame(vocab, trace.probs_raw[0], np.array([0.5, 1, 2])), {"used": 0.8}, "t"
        ),
        charts.loss_spec(
            timeline.loss_frame(json.loads((tiny_models_root / "tiny-lstm" / "history.json").read_text())),
            "step",
            "nats",
            True,
            30,
        ),
    ]
    for spec in specs:
        text = json.dumps(spec, allow_nan=False)
        assert "NaN" not in text


# ---------------------------------------------------------------- snippets


def test_the_python_snippet_prints_the_same_sample(tiny_models_root: Path, capsys: pytest.CaptureFixture) -> None:
    path = str(tiny_models_root / "tiny-lstm")
    for s in (
        Settings.of(prime="To", length=40, temperature=1.1, top_k=7, top_p=0.9, seed=3, unknown="skip"),
        Settings.of(prime="Tö", length=30, greedy=True, unknown="replace"),
    ):
        code = snippets.python_snippet(path, s)
        exec(compile(code, "<snippet>", "exec"), {})
        printed = capsys.readouterr().out.rstrip("\n")
        tiny = CharRNN.from_pretrained(path)
        prime = generation.prepare_prime(tiny, s.prime, s.unknown)
        expected = "".join(
            step.char for step in generation.stream(tiny, prime, s.length, s.sampling_for(len(tiny.vocab)), s.seed)
        )
        assert printed == expected


def test_small_texts() -> None:
    assert Settings.of(temperature=0.75).sampling.label == "T=0.75"
    assert Settings.of(greedy=True).sampling.label == "greedy"
    assert snippets.format_size(2048) == "2.0 KiB" and snippets.format_size(13_290_916) == "12.7 MiB"
    card = "---\nlicense: mit\ntags: [x]\n---\n\n# shakespeare\n\ntext\n"
    assert snippets.strip_front_matter(card) == "# shakespeare\n\ntext\n"
    assert snippets.strip_front_matter("# plain\n") == "# plain\n"
