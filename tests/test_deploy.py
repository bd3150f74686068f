"""The container image recipe (Dockerfile, .dockerignore) agrees with the project: the files it
copies exist and are not ignored, the wheel it installs has what pyproject.toml builds from,
the dashboard's files are in its working folder, it starts the app the Makefile starts, the
store is on a volume, and no secret is copied in. Docker is not run here; this reads the
recipe."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import PurePosixPath

from ehts_data import config, site
from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"
IGNORED = [
    line.strip().strip("/")
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def of(keyword: str) -> list[str]:
    return [rest for k, rest in instructions() if k == keyword]


def copies() -> list[tuple[list[str], str]]:
    """Each COPY's sources and its destination inside the image (WORKDIR applied; a trailing
    slash kept: it makes the destination a folder)."""
    out, workdir = [], PurePosixPath("/")
    for keyword, rest in instructions():
        if keyword == "WORKDIR":
            workdir = workdir / rest
        elif keyword == "COPY":
            *sources, dest = shlex.split(rest)
            assert not [s for s in sources if s.startswith("--")], "COPY with options"
            folder = dest.endswith("/") or len(sources) > 1
            out.append((sources, str(workdir / dest) + ("/" if folder else "")))
    return out


def _pattern(glob: str) -> re.Pattern:
    """A .dockerignore line as a regular expression over paths from the context's root."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", glob)
    wild = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wild.get(p, re.escape(p)) for p in parts) + "$")


def ignored(path: str) -> bool:
    """True when .dockerignore leaves the path (or a folder holding it) out of the context."""
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(_pattern(glob).match(p) for glob in IGNORED for p in prefixes)


def in_image(path: str) -> list[PurePosixPath]:
    """Where a file of the build context lands in the image, by Docker's rules: a file copied
    into a folder keeps its name, a folder's contents go into the destination."""
    found = []
    for sources, dest in copies():
        for source in (s.rstrip("/") for s in sources):
            if (ROOT / source).is_dir() and path.startswith(f"{source}/"):
                found.append(PurePosixPath(dest) / path.removeprefix(f"{source}/"))
            elif path == source:
                into = dest.endswith("/")
                found.append(PurePosixPath(dest) / PurePosixPath(path).name if into else dest)
    return [PurePosixPath(f) for f in found]


def test_every_file_the_image_copies_exists_and_is_not_ignored():
    sources = [s for sources, _ in copies() for s in sources]
    assert sources and "." not in sources, "copy named files and folders, not the whole context"
    assert [s for s in sources if not (ROOT / s).exists()] == []
    assert [s for s in sources if ignored(s)] == []


def test_no_secret_or_data_can_reach_the_image():
    for secret in (".streamlit/secrets.toml", "access.toml", "config/access.toml"):
        assert ignored(secret), f".dockerignore lets {secret} into the build context"
    for data in ("data/store/ehts-1.duckdb", "data/store/state.sqlite", ".git/config", ".venv"):
        assert ignored(data)
    sources = [s for sources, _ in copies() for s in sources]
    assert not [s for s in sources if "secret" in s or s.endswith("access.toml")]
    assert not [rest for rest in of("ENV") + of("ARG") if re.search(r"SECRET|PASSWORD", rest)]


def test_the_image_is_debian_python_311_and_installs_what_pyproject_builds_from():
    assert of("FROM") == ["python:3.11-slim"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["requires-python"] == ">=3.11"
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = [
        "pyproject.toml",
        project["project"]["readme"],
        *wheel["packages"],
        *wheel["force-include"],
    ]
    (install,) = [r for r in of("RUN") if "pip install" in r]
    folder = re.search(r"pip install (?:--\S+ )*(\S+)", install).group(1)
    for name in needed:
        assert PurePosixPath(folder) / name in in_image(name), f"{name} is not copied to {folder}"


def test_the_image_starts_the_app_the_makefile_starts_on_every_address():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run_target = re.search(r"^run:.*?\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    app = re.search(r"streamlit run (\S+)", run_target).group(1)
    command = json.loads(of("CMD")[-1])
    assert command[:3] == ["streamlit", "run", app]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options["--server.address"] == "0.0.0.0"
    assert options["--server.headless"] == "true"
    assert of("EXPOSE") == [options["--server.port"]]
    health = json.loads(of("HEALTHCHECK")[-1].removeprefix("CMD").strip())
    assert f":{options['--server.port']}/_stcore/health" in health[-1]


def test_the_dashboards_own_files_are_in_its_working_folder():
    workdir = PurePosixPath(of("WORKDIR")[-1])
    files = ["app.py", ".streamlit/config.toml"]
    files += [p.file for p in (*site.PAGES, *site.SIGNED_IN_PAGES)]
    for name in files:
        assert workdir / name in in_image(name), f"{name} is not copied to {workdir}"


def test_the_store_and_state_database_live_on_a_volume_and_the_settings_are_read(
    monkeypatch,
):
    env = dict(
        pair.split("=", 1) for rest in of("ENV") for pair in shlex.split(rest) if "=" in pair
    )
    volumes = [PurePosixPath(v) for rest in of("VOLUME") for v in json.loads(rest)]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store = PurePosixPath(config.db_path())
    assert str(store) == env["EHTS_DB"]
    assert [v for v in volumes if v in store.parents], f"{store} is on no volume"
    # The state database (commentary, audit log) is in the store folder unless EHTS_STATE says.
    assert "EHTS_STATE" not in env
    assert str(config.access_path()) == env["EHTS_ACCESS"]


def test_the_deployment_guide_points_at_the_dockerfile_instead_of_repeating_it():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "](../Dockerfile)" in guide
    assert "```dockerfile" not in guide and "FROM python:" not in guide
