"""Corpora: a registry of the texts we train on (public domain, and two free-licensed code corpora named as such)
and the code that prepares them (never the texts)."""

from corpora.prepare import CorpusError, clean, prepare, prepare_text_file
from corpora.registry import CORPORA, Corpus, get

__all__ = ["CORPORA", "Corpus", "CorpusError", "clean", "get", "prepare", "prepare_text_file"]
