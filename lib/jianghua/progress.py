"""Progress bars that show on long runs and stay quiet on small corpora."""

import warnings

with warnings.catch_warnings():
    # Without ipywidgets, tqdm.auto warns on import in every notebook and falls back to the
    # text bar anyway; the warning says nothing about the analysis.
    warnings.filterwarnings("ignore", message="IProgress not found")
    from tqdm.auto import tqdm

QUIET_BELOW = 200


def progress(iterable, total=None, desc=None):
    """Return the iterable wrapped in a tqdm bar, disabled when there are few items."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    quiet = total is not None and total < QUIET_BELOW
    return tqdm(iterable, total=total, desc=desc, disable=quiet, leave=False)
