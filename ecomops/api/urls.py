"""``/api/v1/``: every app's router in one place."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from campaigns.api.urls import router as campaigns_router
from customers.api.urls import router as customers_router

router = DefaultRouter()
for app_router in (customers_router, campaigns_router):
    router.registry.extend(app_router.registry)

urlpatterns = [path("", include(router.urls))]
