"""Server-rendered pages of the analytics app (reports, segments, analytics runs), one
module per page."""
