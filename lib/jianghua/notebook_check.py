"""Check that committed notebooks carry no outputs and have a tagged parameters cell."""

import json
import sys
from pathlib import Path


def notebook_issues(path: Path) -> list[str]:
    """Return what is wrong with one notebook file (empty when it is clean)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    issues = []
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for i, cell in enumerate(code):
        if cell.get("outputs") or cell.get("execution_count") is not None:
            issues.append(f"{path.name}: code cell {i} has outputs; run `make lint` (nbstripout)")
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        issues.append(f"{path.name}: needs exactly one cell tagged 'parameters', has {len(tagged)}")
    return issues


def main(folder="notebooks") -> int:
    """Return a process exit code after printing the issues of every notebook in the folder."""
    issues = [i for p in sorted(Path(folder).glob("*.ipynb")) for i in notebook_issues(p)]
    for issue in issues:
        print(issue, file=sys.stderr)
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
