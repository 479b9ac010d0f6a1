"""The workspace itself: set-up files in step, notebooks thin and stripped, paths derived."""

import json
import re

import tomllib
import yaml
from jianghua import config
from jianghua.notebook_check import notebook_issues

ROOT = config.PROJ_ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_config_derives_paths_from_the_package():
    assert (ROOT / "pyproject.toml").is_file()
    assert config.CORPUS_DIR == ROOT / "corpus"
    assert config.DATA_DIR == ROOT / "lib" / "jianghua" / "data"


def test_environment_yml_installs_this_project_like_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    assert python.removeprefix("python") == meta["requires-python"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip == ["-e .[dev]"], "conda users get the same dependencies as pyproject.toml"
    # Nothing else may be pinned on the conda side, or the two would drift apart.
    assert [d for d in deps if isinstance(d, str)] == [python, "pip"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make figures" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_four_notebooks_exist_in_order():
    assert [p.stem for p in NOTEBOOKS] == [
        "00_corpus",
        "01_frequency",
        "02_themes",
        "03_comparison",
    ]


def test_notebooks_are_stripped_and_parameterised():
    assert [i for p in NOTEBOOKS for i in notebook_issues(p)] == []


def test_notebooks_hold_no_paths_or_path_hacks():
    for path in NOTEBOOKS:
        source = "\n".join(
            "".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
        )
        assert "sys.path" not in source, path.name
        assert not re.search(r"['\"](/|[A-Z]:\\)", source), f"absolute path in {path.name}"
        assert "def " not in source, f"{path.name} defines a function: it belongs in jianghua"


def test_notebook_check_flags_outputs(tmp_path):
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": "1",
                "outputs": [{"x": 1}],
                "execution_count": 3,
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    issues = notebook_issues(path)
    assert any("outputs" in i for i in issues)
    assert any("parameters" in i for i in issues)


def test_gitignore_keeps_lib_tracked():
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "lib/" not in lines and "lib" not in lines
