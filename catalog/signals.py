"""Signals of the catalog app, for apps that build on it without catalog importing them.

``orders_changed`` is sent after an import of orders or returns has committed, with
``since``: every order it created or changed has ``updated_at >= since``. The campaigns
app listens, to award or reverse loyalty points and coupon redemptions.
"""

from django.dispatch import Signal

orders_changed = Signal()  # kwargs: since (aware datetime), kind (str)
