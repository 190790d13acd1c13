"""Models from the Hugging Face Hub: repo ids, downloads into the local cache, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

from playground.session.catalog import CONFIG_FILE, MODEL_FILES, WEIGHTS_FILE

HUB_PREFIX = "hf:"
MAX_DOWNLOAD_BYTES = 256 * 2**20  # a char-rnn is a few MB; refuse to fill the disk for a stranger's repo
_URL_PREFIX = re.compile(r"^https?://(www\.)?(huggingface\.co|hf\.co)/", re.IGNORECASE)
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")


class HubError(RuntimeError):
    """A repo that cannot be fetched or is no charrnn model; the message is for the user."""


def parse_repo_id(text: str) -> str:
    """``owner/name`` from what a user typed or pasted (a repo id or its huggingface.co URL).
    ValueError says what is wrong; nothing that could name a path (``..``, ``/x``, ``a/b/c``) passes."""
    value = _URL_PREFIX.sub("", (text or "").strip()).rstrip("/")
    value = value.split("/tree/")[0].split("/blob/")[0]
    if not value:
        raise ValueError("type a Hugging Face repo id such as 'username/charrnn-shakespeare'")
    if not _REPO_ID.fullmatch(value) or ".." in value or "--" in value or value.endswith((".", ".git")):
        raise ValueError(
            f"{value[:100]!r} is not a Hugging Face repo id: expected 'owner/name' (letters, digits, '.', '_' and '-')"
        )
    return value


def hub_key(repo_id: str) -> str:
    return HUB_PREFIX + repo_id


def is_hub_key(key: str) -> bool:
    return key.startswith(HUB_PREFIX)


def repo_of(key: str) -> str:
    """The repo id inside a ``hf:`` key, validated again (keys can come from the URL)."""
    return parse_repo_id(key.removeprefix(HUB_PREFIX))


def cache_root(snapshot: Path) -> Path:
    """The repo's folder in the Hub cache (``models--owner--name``): its snapshot files link into it."""
    return snapshot.parents[1]


def download(repo_id: str, cache_dir: str | Path | None = None, revision: str | None = None) -> Path:
    """Fetch the model files of ``repo_id`` into the Hub cache (or find them there when offline) and
    return the snapshot folder. Raises HubError with a one-line reason."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    repo_id = parse_repo_id(repo_id)
    _check_size(repo_id, revision)
    try:
        path = Path(
            snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, allow_patterns=list(MODEL_FILES))
        )
    except GatedRepoError:
        raise HubError(f"{repo_id} is gated: accept its terms on huggingface.co and log in first") from None
    except RepositoryNotFoundError:
        raise HubError(f"{repo_id} was not found on the Hub (or it is private)") from None
    except RevisionNotFoundError:
        raise HubError(f"{repo_id} has no revision {revision!r}") from None
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        raise HubError(
            f"the Hub cannot be reached and {repo_id} is not in the local cache; check the connection"
        ) from None
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", "?")
        raise HubError(f"the Hub answered HTTP {status} for {repo_id}") from None
    except (OSError, ConnectionError) as e:
        raise HubError(f"the Hub cannot be reached ({type(e).__name__}); check the connection") from None
    except Exception as e:  # the HTTP client's own transport errors, timeouts, ...
        raise HubError(f"could not download {repo_id}: {type(e).__name__}: {str(e)[:200]}") from None
    for required in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / required).is_file():
            raise HubError(f"{repo_id} is not a charrnn model: it has no {required}")
    return path


def _check_size(repo_id: str, revision: str | None) -> None:
    """Refuse a repo whose model files add up to more than MAX_DOWNLOAD_BYTES (when the Hub says;
    offline or on any error, the download itself decides)."""
    from huggingface_hub import HfApi

    try:
        info = HfApi().model_info(repo_id, revision=revision, files_metadata=True, timeout=10)
    except Exception:
        return
    total = sum(s.size or 0 for s in info.siblings or [] if s.rfilename in MODEL_FILES)
    if total > MAX_DOWNLOAD_BYTES:
        raise HubError(
            f"{repo_id} holds {total / 2**20:,.0f} MB of model files: too large for a char-rnn "
            f"(the limit is {MAX_DOWNLOAD_BYTES / 2**20:,.0f} MB)"
        )
