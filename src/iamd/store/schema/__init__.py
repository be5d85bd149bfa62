"""Table definitions, one module per resource family, all on one `metadata`.

Every module of this package is imported by `load_all()` so that migrations and tests see
the whole schema. Timestamps are stored as epoch seconds (float) on both engines.
"""

import importlib
import pkgutil

from sqlalchemy import MetaData

metadata = MetaData()


def load_all() -> MetaData:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return metadata
