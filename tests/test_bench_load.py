"""bench/load.py splits one locust run into the login phase and the steady state."""

import importlib.util
import sys
from pathlib import Path


def _bench_load():
    path = Path(__file__).resolve().parent.parent / "bench" / "load.py"
    spec = importlib.util.spec_from_file_location("bench_load", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_the_run_splits_at_the_last_login_and_tables_each_phase():
    load = _bench_load()
    R = load.Request
    rows = [R(100.5, "/health", 500, False, ""), R(101.0, "/login", 200, False, ""),
            R(103.0, "/login (POST)", 2000, False, ""), R(104.0, "admin list", 900, False, ""),
            R(110.0, "/login (POST)", 3000, False, ""), R(111.0, "admin list", 50, False, ""),
            R(112.0, "/health", 10, True, "boom"), R(120.0, "grading", 80, False, "")]
    phases = load.split(rows)
    assert phases["started"] == 100.0  # the first request's start, not its completion
    assert phases["login_end"] == 110.0 and phases["end"] == 120.0
    assert [r.time for r in phases["login"]] == [100.5, 101.0, 103.0, 104.0, 110.0]
    assert [r.name for r in phases["steady"]] == ["admin list", "/health", "grading"]

    steady = load.phase_table(phases["steady"], 10.0).splitlines()
    assert steady[2:] == ["| admin list | 1 | 0 | 0.1 | 50 | 50 |",
                          "| grading | 1 | 0 | 0.1 | 80 | 80 |",
                          "| **pages, all** | 2 | 0 | 0.2 | 65 | 80 |",
                          "| **/health** | 1 | 1 | 0.1 | 10 | 10 |"]
    login = load.phase_table(phases["login"], 10.0).splitlines()
    assert [line.split(" | ")[0] for line in login[2:]] == [
        "| admin list", "| **pages, all**", "| /login", "| /login (POST)", "| **/health**"]
    assert login[5] == "| /login (POST) | 2 | 0 | 0.2 | 2500 | 3000 |"
