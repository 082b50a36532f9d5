"""``/api/v1/``: every app's router in one place, the OpenAPI schema and its two viewers
(Swagger UI and Redoc, served from local static files)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from analytics.api.urls import router as analytics_router
from campaigns.api.urls import router as campaigns_router
from catalog.api.urls import router as catalog_router
from catalog.api.views import CustomerBulkView
from customers.api.urls import router as customers_router
from ecomops.api.webhooks import router as webhooks_router

router = DefaultRouter()
for app_router in (customers_router, catalog_router, analytics_router, campaigns_router,
                   webhooks_router):  # fmt: skip
    router.registry.extend(app_router.registry)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Before the router: "bulk" is not a customer id.
    path("customers/bulk/", CustomerBulkView.as_view(), name="customer-bulk"),
    path("", include(router.urls)),
]
