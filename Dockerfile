# EHTS Insight as a container image; docs/deploy.md ("A container image") shows how to run it.
# Nothing secret is in the image: secrets.toml (sign-in) and access.toml (roles) are mounted
# at run time; the store and its state database (commentary, audit log) live on the /data
# volume, so they outlive the container. tests/test_deploy.py checks this file against the
# project (Docker itself is not run by the tests).
FROM python:3.11-slim

# Chromium prints the board pack's PDF (ehts_data.board); nothing else comes from Debian.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

# The project, installed as a wheel (queries/ and scorecard.toml travel inside it).
COPY pyproject.toml README.md scorecard.toml /src/
COPY queries /src/queries
COPY ehts_data /src/ehts_data
RUN pip install --no-cache-dir /src && rm -rf /src

# The dashboard: its router, its pages and its theme.
WORKDIR /app
COPY app.py ./
COPY pages pages
COPY .streamlit/config.toml .streamlit/config.toml

RUN useradd --system --create-home ehts && mkdir -p /data /config && chown ehts /data
USER ehts
ENV EHTS_DB=/data/store \
    EHTS_ACCESS=/config/access.toml \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 8501
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=5)"]
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
