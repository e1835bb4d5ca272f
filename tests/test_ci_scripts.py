"""`.ci/debian-package`, which `make test` (Chromium) and `make scan` (sqlmap) use to
install what they need on a fresh machine: tried against stand-ins for apt-get and sudo."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from casemgr import ROOT

SCRIPT = ROOT / ".ci" / "debian-package"
BASH = shutil.which("bash") or "/bin/bash"


def _tools(directory: Path, *names: str) -> None:
    """Links to the real commands the script needs, so PATH can leave the rest out."""
    directory.mkdir(exist_ok=True)
    for name in names:
        (directory / name).symlink_to(shutil.which(name) or f"/usr/bin/{name}")


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def _run(path: Path, package: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BASH, str(SCRIPT), package, command], capture_output=True,
                          text=True, env={**os.environ, "PATH": str(path)}, check=False)


def test_nothing_is_installed_when_the_command_is_there(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    _tools(tmp_path / "bin", "id", "env")
    _stub(tmp_path / "bin", "apt-get", f'echo "$*" >> {calls}')
    result = _run(tmp_path / "bin", "coreutils", "id")
    assert result.returncode == 0
    assert not calls.exists()


def test_without_apt_get_it_says_what_to_install(tmp_path: Path) -> None:
    _tools(tmp_path / "bin", "id")
    result = _run(tmp_path / "bin", "chromium", "/nonexistent/chromium")
    assert result.returncode == 1
    assert "install chromium yourself" in result.stderr


def test_stale_package_lists_are_updated_and_the_install_tried_again(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    _tools(tmp_path / "bin", "env", "grep")
    # Not root: apt-get goes through sudo, which must be asked never to prompt (-n). It
    # refuses the first install (package lists too old), then accepts it after an update.
    _stub(tmp_path / "bin", "id", "echo 1000")
    _stub(tmp_path / "bin", "apt-get", f"""echo "$*" >> {calls}
if [ "$1" = install ] && ! grep -q '^update' {calls}; then exit 100; fi""")
    _stub(tmp_path / "bin", "sudo", '[ "$1" = -n ] || exit 1; shift; exec "$@"')
    result = _run(tmp_path / "bin", "sqlmap", "/nonexistent/sqlmap")
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == [
        "install -y -qq sqlmap", "update -qq", "install -y -qq sqlmap"]


def test_a_failed_install_fails(tmp_path: Path) -> None:
    _tools(tmp_path / "bin", "id", "env")
    _stub(tmp_path / "bin", "apt-get", "exit 100")
    _stub(tmp_path / "bin", "sudo", '[ "$1" = -n ] || exit 1; shift; exec "$@"')
    assert _run(tmp_path / "bin", "chromium", "/nonexistent/chromium").returncode != 0


def test_make_test_and_ci_install_chromium_through_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    install = "bash .ci/debian-package chromium /usr/bin/chromium"
    assert install in recipe
    assert install in (ROOT / ".ci" / "run").read_text()
