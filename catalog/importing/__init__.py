"""Import and export of shop data: CSV and XLSX in, the same generic columns out.

The pieces (each its own module):

* :mod:`.readers` — the file as a header and a stream of rows (encoding detection);
* :mod:`.formats` — header → fields (generic, ``--map``), required-column check;
* :mod:`.parsing` — dates, money, numbers; :mod:`.errors` — what bad input gets;
* :mod:`.base` — the pipeline (one transaction, all-or-nothing / skip / dry run) and the
  registry of kinds; :mod:`.stage` — staging tables for the set-based kinds;
* one module per kind: :mod:`.customers`, :mod:`.products`, :mod:`.orders` (with
  :mod:`.orders_merge`, :mod:`.order_returns`, :mod:`.platforms`), :mod:`.returns`,
  :mod:`.reviews`, :mod:`.channel_spend`; events live in :mod:`analytics.importing`;
* :mod:`.exports` — the way back out, with formula escaping and PII masking.

Importing this package registers catalog's kinds. The service entry point is
:func:`catalog.services.import_file`.
"""

# Importing the kind modules registers them.
from catalog.importing import (  # noqa: F401
    channel_spend,
    customers,
    orders,
    products,
    returns,
    reviews,
)
from catalog.importing.base import (
    ImportOptions,
    ImportResult,
    importer_for,
    registered_kinds,
    run_import,
)
from catalog.importing.errors import ImportFileError, RowError

__all__ = [
    "ImportFileError",
    "ImportOptions",
    "ImportResult",
    "RowError",
    "importer_for",
    "registered_kinds",
    "run_import",
]
