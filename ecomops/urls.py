from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from ecomops.views import healthz

admin.site.site_header = "EcomOps"
admin.site.site_title = "EcomOps back-office"
admin.site.index_title = "Customer operations"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("api/v1/", include("ecomops.api.urls")),
]
