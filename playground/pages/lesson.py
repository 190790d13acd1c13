"""The "How it works" tab: the course's vanilla RNN worked through step by step. Every number on it
comes from ``charrnn.lesson``; the user edits the word, the hidden size and any weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from charrnn import bits_per_char, lesson
from playground import memory_view
from playground.context import PageContext
from playground.table import visible

WORD_MAX = 12
HIDDEN_MAX = 6
ETA_DEFAULT = 0.1

NAME = "lesson"
LABEL = "🧮 How it works"
KEPT: dict[str, object] = {
    "lesson_word": lesson.WORD,
    "lesson_hidden": lesson.COURSE_WEIGHTS.hidden,
    "lesson_eta": ETA_DEFAULT,
}
NEEDS_MODEL = False


def reset() -> None:
    """Back to the course's word, d and weights (new editor keys drop the editors' edits)."""
    ss = st.session_state
    ss.lesson_word, ss.lesson_hidden = lesson.WORD, lesson.COURSE_WEIGHTS.hidden
    ss.lesson_weights = lesson.COURSE_WEIGHTS
    ss.lesson_version = ss.get("lesson_version", 0) + 1
    ss.pop("lesson_before_step", None)


def take_gradient_step() -> None:
    """W := W - eta dL/dW on the weights shown; the editors are rebuilt to show the new ones."""
    ss = st.session_state
    vocab = lesson.vocab_of(ss.lesson_word)
    before = lesson.run_lesson(ss.lesson_word, ss.lesson_weights, vocab)
    ss.lesson_weights = lesson.gradient_step(
        ss.lesson_weights, lesson.backward(before, ss.lesson_weights), ss.lesson_eta
    )
    ss.lesson_before_step = before.total_loss
    ss.lesson_version += 1


def number(x: float) -> str:
    """2 decimals, without the "-0.00" of a tiny negative."""
    return f"{x:.2f}" if round(x, 2) != 0 else "0.00"


def vector(v: np.ndarray) -> str:
    """A column vector in LaTeX, 2 decimals."""
    return r"\begin{bmatrix}" + r" \\ ".join(number(x) for x in v) + r"\end{bmatrix}"


def matrix_latex(m: np.ndarray) -> str:
    """A matrix in LaTeX, 2 decimals."""
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(number(x) for x in row) for row in m) + r"\end{bmatrix}"


def latex_char(char: str) -> str:
    """A character of the user's word inside LaTeX: as text, its special characters escaped."""
    special = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$", "%": r"\%"}
    special |= {"&": r"\&", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}
    return r"\text{" + special.get(char, visible(char)) + "}"


def short(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.2f}" for x in v) + "]"


def edit_matrix(name: str, matrix: np.ndarray, rows: list[str], columns: list[str], help_text: str) -> np.ndarray:
    """A data editor for one matrix; the edited values (a cleared cell counts as 0)."""
    ss = st.session_state
    st.markdown(f"**{name}** &nbsp; ({matrix.shape[0]} × {matrix.shape[1]})", help=help_text)
    frame = pd.DataFrame(matrix, index=rows, columns=columns)
    key = f"lesson_{name}_{ss.lesson_version}_{'|'.join(rows)}_{'|'.join(columns)}"
    edited = st.data_editor(
        frame,
        key=key,
        num_rows="fixed",
        column_config={c: st.column_config.NumberColumn(c, format="%.2f", step=0.1) for c in columns},
    )
    return np.nan_to_num(edited.to_numpy(dtype=np.float64))


def weights_panel(vocab: list[str], hidden: int) -> lesson.Weights:
    ss = st.session_state
    stored = ss.get("lesson_weights", lesson.COURSE_WEIGHTS)
    weights = lesson.fit_weights(stored, len(vocab), hidden)
    units, chars = [f"h{i + 1}" for i in range(hidden)], [visible(c) for c in vocab]
    c1, c2, c3 = st.columns([len(vocab) + 1, hidden + 1, hidden + 1])
    with c1:
        w_x = edit_matrix(
            "W_X", weights.W_X, units, chars, "input → hidden: column j is added to a_t when x_t is character j"
        )
    with c2:
        w_h = edit_matrix("W_H", weights.W_H, units, units, "hidden → hidden: how h_{t-1} feeds a_t")
    with c3:
        w_y = edit_matrix("W_Y", weights.W_Y, chars, units, "hidden → output: one row of scores per character")
    ss.lesson_weights = lesson.Weights(w_h, w_x, w_y)
    return ss.lesson_weights


def summary_frame(result: lesson.Lesson) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [s.t for s in result.steps],
            "reads x_t": [visible(s.char) for s in result.steps],
            "target x_t+1": [visible(s.target) for s in result.steps],
            "a_t": [short(s.a) for s in result.steps],
            "h_t": [short(s.h) for s in result.steps],
            "y_t": [short(s.y) for s in result.steps],
            "y_t[target]": [round(s.target_prob, 4) for s in result.steps],
            "loss (nats)": [round(s.loss, 4) for s in result.steps],
        }
    )


def step_details(result: lesson.Lesson, step: lesson.LessonStep) -> None:
    t, chars = step.t, ", ".join(visible(c) for c in result.vocab)
    title = f"t = {t}: read **{visible(step.char)}**, predict **{visible(step.target)}** — loss {step.loss:.2f}"
    with st.expander(title, expanded=t == 1):
        st.latex(rf"x_{t} = \text{{one-hot}}({latex_char(step.char)}) = {vector(step.x)}^\top")
        st.latex(rf"a_{t} = W_H h_{{{t - 1}}} + W_X x_{t} = {vector(step.a)}")
        st.latex(rf"h_{t} = \tanh(a_{t}) = {vector(step.h)}")
        st.latex(rf"y_{t} = \mathrm{{softmax}}(W_Y h_{t}) = \mathrm{{softmax}}{vector(step.scores)} = {vector(step.y)}")
        st.latex(rf"-\ln y_{t}[{latex_char(step.target)}] = -\ln {step.target_prob:.2f} = {step.loss:.2f}")
        st.caption(f"Rows of x_t and y_t follow the vocabulary: {chars}.")


def render(ctx: PageContext) -> None:
    ss = st.session_state
    ss.setdefault("lesson_version", 0)  # the weight editors' keys: a reset draws new ones
    st.markdown(
        "#### A vanilla RNN by hand\n"
        "The course's worked example: a vocabulary of *k* characters read one-hot, *d* hidden units, "
        "h₀ = 0. Each step reads one character of the word and predicts the next; the loss is the "
        "cross-entropy of the true next character. Edit the word, *d* or any weight: every number below "
        "is recomputed (by `charrnn.lesson`)."
    )
    st.latex(
        r"a_t = W_H\,h_{t-1} + W_X\,x_t \qquad h_t = \tanh(a_t) \qquad y_t = \mathrm{softmax}(W_Y\,h_t)"
        r"\qquad J = \frac{1}{T}\sum_{t=1}^{T} -\ln y_t[x_{t+1}]"
    )
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    c1.text_input(
        "Word", key="lesson_word", max_chars=WORD_MAX, help="Read without its last character, predicting each next one."
    )
    c2.number_input("Hidden units d", 1, HIDDEN_MAX, step=1, key="lesson_hidden")
    c3.button("↺ The course's example", on_click=reset, help='"hello", d = 3 and the course\'s weights.')
    word = ss.lesson_word
    if len(word) < 2:
        st.info("Type a word of at least two characters: one to read, one to predict.")
        return
    vocab = lesson.vocab_of(word)
    st.caption(f"Vocabulary (k = {len(vocab)}, in order of first appearance): " + ", ".join(visible(c) for c in vocab))
    weights = weights_panel(vocab, int(ss.lesson_hidden))
    result = lesson.run_lesson(word, weights, vocab)
    reads = "".join(visible(s.char) for s in result.steps)
    targets = "".join(visible(s.target) for s in result.steps)
    st.markdown(f"#### {len(result.steps)} steps: reading **{reads}**, predicting **{targets}**")
    st.dataframe(summary_frame(result), hide_index=True)
    m1, m2, m3 = st.columns(3)
    m1.metric("total loss Σ −ln y_t[target]", f"{result.total_loss:.2f} nats")
    m2.metric("J (mean per character)", f"{result.mean_loss:.2f} nats")
    m3.metric(
        "J in bits",
        f"{bits_per_char(result.mean_loss):.2f} bits",
        help=f"A uniform guess costs log₂ k = {np.log2(len(vocab)):.2f} bits",
    )
    for step in result.steps:
        step_details(result, step)
    render_backward(result, weights)


# ---------------------------------------------------------------- backpropagation through time


def backward_details(step: lesson.BackwardStep, last: int) -> None:
    t = step.t
    with st.expander(f"backward at t = {t}: dz, dh, da and this step's parts of the gradients", expanded=t == last):
        st.latex(rf"dz_{t} = y_{t} - \text{{one-hot}}(x_{{{t + 1}}}) = {vector(step.dz)}")
        st.latex(rf"dW_Y \mathrel{{+}}= dz_{t}\,h_{t}^\top = {matrix_latex(step.dW_Y)}")
        after = "0" if t == last else rf"W_H^\top da_{{{t + 1}}}"  # nothing comes back after the last step
        parts = f"{vector(step.dh_out)} + {vector(step.dh_next)}"
        st.latex(rf"dh_{t} = W_Y^\top dz_{t} + {after} = {parts} = {vector(step.dh)}")
        st.latex(rf"da_{t} = (1 - h_{t}^2) \odot dh_{t} = {vector(step.da)}")
        st.latex(rf"dW_H \mathrel{{+}}= da_{t}\,h_{{{t - 1}}}^\top = {matrix_latex(step.dW_H)}")
        st.latex(rf"dW_X \mathrel{{+}}= da_{t}\,x_{t}^\top = {matrix_latex(step.dW_X)}")


def gradient_tables(grads: lesson.Gradients, vocab: list[str], hidden: int, check: dict[str, float]) -> None:
    units, chars = [f"h{i + 1}" for i in range(hidden)], [visible(c) for c in vocab]
    shapes = {"W_Y": (chars, units), "W_H": (units, units), "W_X": (units, chars)}
    for column, (name, (rows, columns)) in zip(st.columns(3), shapes.items(), strict=True):
        with column:
            st.markdown(f"**dL/d{name}**", help="The gradient of the total loss L = Σ_t −ln y_t[target].")
            st.dataframe(pd.DataFrame(getattr(grads, name), index=rows, columns=columns).round(4))
            st.caption(f"finite differences agree to {check[name]:.1e} (relative)")


def task_one(result: lesson.Lesson, weights: lesson.Weights, grads: lesson.Gradients) -> None:
    """The course's Task 1: dJ/dW_H as a sum over time steps and over the paths back through time."""
    with st.expander("Task 1: derive dJ/dW_H"):
        st.markdown(
            "Loss L_t reaches W_H at every step s ≤ t, through a_s = W_H h_{s−1} + W_X x_s. Following the path "
            "back from a_t to a_s multiplies by W_Hᵀ and tanh's slope once per step:"
        )
        st.latex(
            r"\frac{\partial L}{\partial W_H} = \sum_{t=1}^{T} \sum_{s=1}^{t} \delta_{t,s}\, h_{s-1}^\top,"
            r"\quad \delta_{t,t} = (1 - h_t^2) \odot W_Y^\top (y_t - \text{one-hot}(x_{t+1})),"
            r"\quad \delta_{t,s-1} = (1 - h_{s-1}^2) \odot W_H^\top \delta_{t,s}"
        )
        st.markdown("and J = L / T, so dJ/dW_H = (1/T) dL/dW_H. Each path's part, with these weights:")
        parts = lesson.paths_to_W_H(result, weights)
        for (t, s), part in sorted(parts.items()):
            path = rf"\text{{loss }} L_{t} \text{{ at step }} s = {s}:"
            st.latex(rf"{path} \; \delta_{{{t},{s}}}\,h_{{{s - 1}}}^\top = {matrix_latex(part)}")
        total = sum(parts.values())
        st.latex(rf"\textstyle\sum = {matrix_latex(total)} = \frac{{\partial L}}{{\partial W_H}}")
        st.caption(
            f"The sum over paths equals backpropagation's dL/dW_H to {np.abs(total - grads.W_H).max():.1e}; "
            "h₀ = 0, so paths that end at s = 1 add nothing."
        )


def gradient_step_panel(result: lesson.Lesson) -> None:
    ss = st.session_state
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    c1.number_input("Learning rate η", 0.0, 10.0, step=0.05, key="lesson_eta", format="%.2f")
    c2.button("Take one gradient step", on_click=take_gradient_step, help="W := W − η dL/dW for all three matrices.")
    before = ss.get("lesson_before_step")
    if before is not None:
        c3.metric(
            "total loss after the step",
            f"{result.total_loss:.4f} nats",
            f"{result.total_loss - before:+.4f} from {before:.4f}",
            delta_color="inverse",
        )


def render_backward(result: lesson.Lesson, weights: lesson.Weights) -> None:
    st.markdown(
        "#### Backpropagation through time\n"
        "The gradient of the total loss L = Σ_t −ln y_t[target] with respect to each matrix, computed backwards "
        "from t = T: each step's error dz_t reaches W_Y directly, and reaches W_H and W_X through h_t, which "
        "also receives the error coming back from the step after."
    )
    st.latex(
        r"dz_t = y_t - \text{one-hot}(x_{t+1}) \qquad dh_t = W_Y^\top dz_t + W_H^\top da_{t+1}"
        r"\qquad da_t = (1 - h_t^2) \odot dh_t"
    )
    grads = lesson.backward(result, weights)
    numeric = lesson.numerical_gradients(st.session_state.lesson_word, weights, result.vocab)
    check = {name: lesson.relative_error(getattr(grads, name), numeric[name]) for name in numeric}
    gradient_tables(grads, result.vocab, weights.hidden, check)
    gradient_step_panel(result)
    for step in grads.steps:
        backward_details(step, len(result.steps))
    task_one(result, weights, grads)
    memory_view.jacobian_section(result, weights)  # how far back the gradient reaches (issue 30)
