"""Progress bars that show on long runs and stay quiet on small corpora."""

from tqdm.auto import tqdm

QUIET_BELOW = 200


def progress(iterable, total=None, desc=None):
    """Return the iterable wrapped in a tqdm bar, disabled when there are few items."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    quiet = total is not None and total < QUIET_BELOW
    return tqdm(iterable, total=total, desc=desc, disable=quiet, leave=False)
