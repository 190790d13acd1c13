"""Corpora: a registry of public-domain texts and the code that prepares them (never the texts)."""

from corpora.prepare import CorpusError, clean, prepare, prepare_text_file
from corpora.registry import CORPORA, Corpus, get

__all__ = ["CORPORA", "Corpus", "CorpusError", "clean", "get", "prepare", "prepare_text_file"]
