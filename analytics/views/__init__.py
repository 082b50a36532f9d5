"""Server-rendered pages of the analytics app (reports), one module per page."""
