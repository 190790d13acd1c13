"""charrnn: character-level RNN / GRU / LSTM language models, their sampling and persistence."""

from charrnn.metrics import bits_per_char, cold_start, loss_report, nats_per_char, perplexity, surprisal_nats
from charrnn.model import CELLS, CharRNN, CheckpointError, ModelConfig
from charrnn.sampling import SamplingSettings, Step, generate, sample
from charrnn.vocab import UNKNOWN_POLICIES, UnknownCharactersError, Vocab

__all__ = [
    "CELLS",
    "UNKNOWN_POLICIES",
    "CharRNN",
    "CheckpointError",
    "ModelConfig",
    "SamplingSettings",
    "Step",
    "UnknownCharactersError",
    "Vocab",
    "bits_per_char",
    "cold_start",
    "generate",
    "loss_report",
    "nats_per_char",
    "perplexity",
    "sample",
    "surprisal_nats",
]
