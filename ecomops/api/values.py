"""Report values as JSON: NaN → null, numpy → Python, periods and dates → ISO text,
Decimal → text (money stays exact), data frames → lists of objects, dataclasses →
objects."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd


def plain(value):
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bool | str | int) and not isinstance(value, np.generic):
        return value
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) or np.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as a list of objects (its index, when named, as a column)."""
    if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    columns = [str(c) for c in frame.columns]
    return [
        {c: plain(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
