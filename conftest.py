"""The repository's root conftest: loaded before the command line is read, so that the test tiers'
options (--slow-shard, --budget-per-test, --budget-total, --durations-json) exist however pytest
is started (property_tests/tiers.py; property_tests/conftest.py holds the rest)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "property_tests"))

pytest_plugins = ["tiers"]
