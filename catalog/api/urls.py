from rest_framework.routers import SimpleRouter

from catalog.api import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("products", views.ProductViewSet, basename="product")
router.register("skus", views.SKUViewSet, basename="sku")
router.register("channels", views.ChannelViewSet, basename="channel")
router.register("channel-spend", views.ChannelSpendViewSet, basename="channel-spend")
router.register("orders", views.OrderViewSet, basename="order")
router.register("returns", views.ReturnViewSet, basename="return")
router.register("reviews", views.ReviewViewSet, basename="review")
