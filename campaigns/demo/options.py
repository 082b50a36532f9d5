"""The options of a demo seed and the rules they must follow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MIN_CUSTOMERS = 10
MAX_CUSTOMERS = 5_000_000
MAX_ORDERS_PER_CUSTOMER = 50
EVENTS_PER_ORDER = 10
MAX_DEFAULT_EVENTS = 1_000_000


class DemoArgumentError(ValueError):
    """A seed option is out of range; ``argument`` names the option (e.g. ``--orders``)."""

    def __init__(self, argument: str, message: str):
        super().__init__(f"{argument} {message}")
        self.argument = argument


@dataclass(frozen=True)
class DemoOptions:
    customers: int = 2_000
    orders: int = 20_000
    events: int | None = None  # None: EVENTS_PER_ORDER per order, at most MAX_DEFAULT_EVENTS
    seed: int = 42
    as_of: date | None = None  # None: today in the shop's time zone

    @property
    def event_count(self) -> int:
        if self.events is not None:
            return self.events
        return min(EVENTS_PER_ORDER * self.orders, MAX_DEFAULT_EVENTS)

    def validate(self) -> None:
        """Raise :class:`DemoArgumentError` naming the first option that breaks a rule.

        Orders must be at least the number of customers: about a quarter of customers
        never buy (prospects) and the rest need repeat orders for every RFM segment and
        lifecycle stage to appear; and at most MAX_ORDERS_PER_CUSTOMER per customer,
        beyond which two years of history stop looking like a shop's customers.
        """
        if not MIN_CUSTOMERS <= self.customers <= MAX_CUSTOMERS:
            raise DemoArgumentError(
                "--customers",
                f"must be between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,}, not {self.customers:,}",
            )
        if self.orders < self.customers:
            raise DemoArgumentError(
                "--orders",
                f"must be at least --customers ({self.customers:,}), not {self.orders:,}: "
                "each buying customer needs a first order and the lifecycle needs repeat orders",
            )
        if self.orders > MAX_ORDERS_PER_CUSTOMER * self.customers:
            raise DemoArgumentError(
                "--orders",
                f"must be at most {MAX_ORDERS_PER_CUSTOMER} × --customers "
                f"({MAX_ORDERS_PER_CUSTOMER * self.customers:,}), not {self.orders:,}",
            )
        if self.events is not None and self.events < 0:
            raise DemoArgumentError("--events", f"must be 0 or more, not {self.events:,}")
        if not 0 <= self.seed < 2**63:
            raise DemoArgumentError("--seed", f"must be a non-negative integer, not {self.seed}")
