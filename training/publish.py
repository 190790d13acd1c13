"""Publish a model directory to the Hugging Face Hub.

    python -m training.publish models/shakespeare --repo-id USER/charrnn-shakespeare [--private]

The directory is checked first: ``config.json`` and ``model.safetensors`` must load with
``CharRNN.from_pretrained``, ``history.json`` must be readable and the model card ``README.md``
must exist. Then the repo is created if needed and the whole folder (weights, config, training
history, card) is uploaded in one commit; hidden files, temporary files and pickles are never sent.
Log in first (``hf auth login``) or set ``HF_TOKEN``; ``HF_ENDPOINT`` selects another Hub.

Exit codes: 0 published (or checked, with ``--dry-run``), 2 the directory or the arguments are
wrong, 1 the Hub refused or could not be reached. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from fnmatch import fnmatch
from pathlib import Path

from charrnn import CharRNN, CheckpointError
from charrnn.history import load_history

REQUIRED = ("config.json", "model.safetensors", "history.json", "README.md")
IGNORE = [
    ".*",
    "**/.*",
    "*.tmp",
    "__pycache__",
    "**/__pycache__/**",
    "*.pt",
    "*.pth",
    "*.bin",
    "*.pkl",
    "*.pickle",
    "*.ckpt",
]


class PublishError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def files_to_upload(directory: Path) -> list[str]:
    """The relative paths that ``upload_folder`` sends with our ignore patterns, sorted."""
    out = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        ignored = any(fnmatch(rel, p) or fnmatch(path.name, p) for p in IGNORE)
        hidden = any(part.startswith(".") or part == "__pycache__" for part in Path(rel).parts)
        if path.is_file() and not ignored and not hidden:
            out.append(rel)
    return out


def check_directory(directory: Path) -> CharRNN:
    """Everything a Hub page and ``from_pretrained`` need is there and loads; PublishError(code 2) if not."""
    if not directory.is_dir():
        raise PublishError(f"{directory} is not a directory", 2)
    missing = [name for name in REQUIRED if not (directory / name).is_file()]
    if missing:
        hint = ""
        if "README.md" in missing:
            card = f"from training.card import write_card; write_card('{directory}')"
            hint = f'; write the model card with: python -c "{card}"'
        raise PublishError(f"{directory}: missing {', '.join(missing)}{hint}", 2)
    try:
        model = CharRNN.from_pretrained(directory)
    except CheckpointError as e:
        raise PublishError(f"the model does not load: {e}", 2) from None
    try:
        load_history(directory)
    except ValueError as e:
        raise PublishError(str(e), 2) from None
    return model


def check_repo_id(repo_id: str) -> str:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise PublishError(f"--repo-id {repo_id!r} is not a valid repo id ({e})", 2) from None
    if repo_id.count("/") != 1:
        raise PublishError(f"--repo-id {repo_id!r} must be 'owner/name', e.g. 'alice/charrnn-shakespeare'", 2)
    return repo_id


def publish(
    directory: Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    message: str | None = None,
    token: str | None = None,
) -> dict:
    """Create the repo if needed and upload the folder; the commit's facts. PublishError(1) on Hub errors."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(token=token)
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        commit = api.upload_folder(
            folder_path=directory,
            repo_id=repo_id,
            repo_type="model",
            revision=revision,
            commit_message=message or f"Upload {directory.name} with training.publish",
            ignore_patterns=IGNORE,
        )
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status in (401, 403):
            raise PublishError(
                f"the Hub refused the upload (HTTP {status}): log in with `hf auth login` or set "
                "HF_TOKEN to a token with write access",
                1,
            ) from None
        raise PublishError(f"the Hub refused the upload: {str(e).splitlines()[0]}", 1) from None
    except (OSError, ConnectionError) as e:
        raise PublishError(f"cannot reach the Hub at {api.endpoint} ({type(e).__name__}: {e})", 1) from None
    except Exception as e:  # the HTTP client's transport errors
        if type(e).__module__.split(".")[0] in ("httpx", "httpx2", "requests", "urllib3"):
            raise PublishError(f"cannot reach the Hub at {api.endpoint} ({type(e).__name__}: {e})", 1) from None
        raise
    return {
        "repo_id": repo_id,
        "url": str(url),
        "commit": getattr(commit, "oid", None),
        "commit_url": getattr(commit, "commit_url", None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="a model directory, e.g. models/shakespeare")
    parser.add_argument("--repo-id", required=True, help="owner/name on the Hub, e.g. alice/charrnn-shakespeare")
    parser.add_argument("--private", action="store_true", help="create the repo as private (if it does not exist)")
    parser.add_argument("--revision", help="branch to commit to (default: main)")
    parser.add_argument("--message", help="commit message")
    parser.add_argument("--token", help="a Hub token with write access (default: the saved login or HF_TOKEN)")
    parser.add_argument("--dry-run", action="store_true", help="check the directory and list the files, upload nothing")
    args = parser.parse_args(argv)
    try:
        repo_id = check_repo_id(args.repo_id)
        model = check_directory(args.directory)
        files = files_to_upload(args.directory)
        size = sum((args.directory / f).stat().st_size for f in files)
        print(
            f"{args.directory}: {model.cell} {model.layers}x{model.hidden}, {model.num_parameters:,} parameters; "
            f"{len(files)} files, {size / 1e6:.2f} MB: {', '.join(files)}"
        )
        if args.dry_run:
            print(json.dumps({"repo_id": repo_id, "files": files, "bytes": size, "dry_run": True}))
            return 0
        print(f"uploading to {repo_id} ...", flush=True)
        result = publish(
            args.directory,
            repo_id,
            private=args.private,
            revision=args.revision,
            message=args.message,
            token=args.token,
        )
    except PublishError as e:
        print(f"error: {e}", file=sys.stderr)
        print(json.dumps({"error": str(e)}))
        return e.code
    print(f"published: {result['url']}\nload it with: CharRNN.from_pretrained({repo_id!r})")
    print(json.dumps({**result, "files": files, "bytes": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
