# Char-RNN Playground: the Streamlit app on CPU, for Hugging Face Spaces (Docker SDK) or any host.
#
#   docker build -t charrnn-playground .
#   docker run --rm -p 8501:8501 charrnn-playground            # then open http://localhost:8501
#
# The models in models/ are baked into the image; mount another folder over them with
#   docker run --rm -p 8501:8501 -v "$PWD/models:/home/user/app/models:ro" charrnn-playground
# See docs/DEPLOY.md.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Spaces run containers as uid 1000; this image does too, on every host.
RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin user

WORKDIR /home/user/app

# Every package at the version CI passed with (requirements.lock), installed as the README and CI
# do (scripts/install.sh): torch's pinned CPU build (2.13.0+cpu) from PyTorch's CPU index, the only
# place it is published (~200 MB instead of several GB of CUDA), then the lock from PyPI. A layer of
# its own, so that code and model changes rebuild in seconds.
COPY --chown=user:user requirements.lock ./
COPY --chown=user:user scripts/install.sh scripts/
RUN bash scripts/install.sh requirements.lock

USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    HF_HOME=/home/user/.cache/huggingface \
    HF_HUB_DISABLE_TELEMETRY=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    CHARRNN_MODELS_DIR=/home/user/app/models

# The app, its .streamlit/config.toml (theme, file watcher off) and the shipped models, owned by
# the user (model files may be 0600 in the build context).
COPY --chown=user:user . .

# The originality check compares text with each shipped style's training text: fetch those corpora
# (checked against the registry's sha256) and build their indexes now, so a Space has the check.
# A build without network goes on: it leaves corpora/cache/PREPARE-SKIPPED.txt, which the app
# quotes where the check would be (build with --build-arg CHARRNN_CORPORA_MIRROR=DIR for a mirror
# inside the build context).
ARG CHARRNN_CORPORA_MIRROR=
RUN python -m corpora index models --allow-missing

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(0 if r.read() == b'ok' else 1)"]

CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
