from django.contrib import admin
from django.urls import include, path

from ecomops.views import favicon, healthz

admin.site.site_header = "EcomOps"
admin.site.site_title = "EcomOps back-office"
admin.site.index_title = "Customer operations"

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("api/v1/", include("ecomops.api.urls")),
    path("", include("analytics.urls")),
    path("", include("campaigns.urls")),
]
