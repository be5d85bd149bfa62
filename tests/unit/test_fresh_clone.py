"""A fresh clone has no ../shared: tests whose data lives only there skip with one line,
and no test reaches for ../shared other than through conftest's `SHARED`."""

import os
import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_tests_that_need_shared_skip_when_it_is_absent(tmp_path):
    env = {**os.environ, "IAMD_TEST_SHARED": str(tmp_path / "no-shared")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                          "tests/unit/test_protocol_compliance.py",
                          "tests/unit/test_policy_grammar.py::test_every_aws_managed_policy_passes"],
                         cwd=TESTS.parent, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    reasons = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(reasons) == 4 and all("no-shared" in r and "is absent here" in r for r in reasons), run.stdout
    assert not re.search(r"\b(passed|failed|error)\b", run.stdout), run.stdout


def test_no_test_reads_shared_but_through_conftest():
    for path in TESTS.rglob("*.py"):
        if path in (TESTS / "conftest.py", Path(__file__).resolve()):
            continue
        code = "\n".join(line for line in path.read_text().splitlines()
                         if not line.lstrip().startswith(("#", '"""')))
        assert not re.search(r"/work/shared|[\"']shared[\"']", code), path
