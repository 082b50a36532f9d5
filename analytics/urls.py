"""Pages of the analytics app (reports and the segment builder)."""

app_name = "analytics"

urlpatterns: list = []
