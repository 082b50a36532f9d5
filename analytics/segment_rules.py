"""The segment rule language: JSON in, one ORM query out.

A rule is a tree of groups and conditions::

    {"all": [
        {"field": "r_score", "op": ">=", "value": 4},
        {"any": [
            {"field": "tier", "op": "in", "value": ["Gold", "Diamond"]},
            {"field": "tags", "op": "has", "value": "price-sensitive"}
        ]},
        {"not": {"field": "lifecycle_stage", "op": "=", "value": "lost"}},
        {"field": "spent", "days": 90, "op": ">=", "value": 500}
    ]}

``all`` / ``any`` take a list of nodes, ``not`` one node, and an empty ``{}`` (or
``{"all": []}``) matches every customer. Conditions name a field of :data:`FIELDS`, an
operator that field allows, and a value of the field's type; order aggregates also take
``days`` (the trailing window of that many days ending with ``as_of``, paid orders only).
``!=``, ``not_in`` and ``has_not`` are the negation of ``=``, ``in`` and ``has``: a customer
with no value (no tier, no score yet) matches them. :func:`compile_rule` validates the
whole tree first and raises :class:`RuleError` naming the path of the first bad node, so
nothing half-valid ever reaches the database; the result is a ``Q`` over ``Customer``
that the caller applies in a single query (aggregates become correlated subqueries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Count,
    Exists,
    Expression,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    In,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import LifecycleStage, RfmClass, RfmSegment
from catalog.models import Order, OrderLine
from customers.models import Customer, GroupMembership

COMPARISONS = {
    "=": Exact,
    "!=": Exact,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
    "<": LessThan,
    "<=": LessThanOrEqual,
}
NUMBER_OPS = (*COMPARISONS, "between", "in", "not_in", "is_null")
CHOICE_OPS = ("=", "!=", "in", "not_in", "is_null")
TEXT_OPS = ("=", "!=", "in", "not_in", "contains", "is_null")
SET_OPS = ("has", "has_not", "has_any", "has_all")
MAX_DEPTH = 8
MAX_DAYS = 3650


class RuleError(ValueError):
    """A rule that cannot be compiled; ``path`` says where (e.g. ``all[1].any[0].op``)."""

    code = "invalid_rule"

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class Field:
    """One field the rule language knows: where it lives and what it accepts."""

    kind: str  # number, integer, money, date, bool, choice, text, set, aggregate
    lookup: str = ""
    ops: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    label: str = ""  # lazily translated


def _choices(enum) -> tuple[str, ...]:
    return tuple(enum.values)


FIELDS: dict[str, Field] = {
    # Customer profile
    "gender": Field("choice", "gender", CHOICE_OPS, _choices(Customer.Gender), _("gender")),
    "city": Field("text", "city", TEXT_OPS, label=_("city")),
    "region": Field("text", "region", TEXT_OPS, label=_("region")),
    "registered_at": Field("date", "registered_at", NUMBER_OPS, label=_("registration date")),
    "acquisition_channel": Field(
        "text", "acquisition_channel", TEXT_OPS, label=_("acquisition channel")
    ),
    "is_koc": Field("bool", "is_koc", ("=",), label=_("is a KOC")),
    "marketing_opt_in": Field("bool", "marketing_opt_in", ("=",), label=_("accepts marketing")),
    "points_balance": Field("integer", "points_balance", NUMBER_OPS, label=_("points balance")),
    "tier": Field("text", "tier__name", TEXT_OPS, label=_("membership tier")),
    "tier_rank": Field("integer", "tier__rank", NUMBER_OPS, label=_("tier rank")),
    "tags": Field("set", "tag_links__tag__name", SET_OPS, label=_("tags")),
    "groups": Field("set", "memberships__group__name", SET_OPS, label=_("community groups")),
    # Computed scores (analytics.CustomerScore)
    "recency_days": Field(
        "integer", "score__recency_days", NUMBER_OPS, label=_("days since last order")
    ),
    "frequency": Field(
        "integer", "score__frequency", NUMBER_OPS, label=_("orders in the RFM window")
    ),
    "monetary": Field("money", "score__monetary", NUMBER_OPS, label=_("spend in the RFM window")),
    "r_score": Field("integer", "score__r_score", NUMBER_OPS, label=_("R score")),
    "f_score": Field("integer", "score__f_score", NUMBER_OPS, label=_("F score")),
    "m_score": Field("integer", "score__m_score", NUMBER_OPS, label=_("M score")),
    "rfm_segment": Field(
        "choice", "score__rfm_segment", CHOICE_OPS, _choices(RfmSegment), _("RFM segment")
    ),
    "rfm_class": Field(
        "choice", "score__rfm_class", CHOICE_OPS, _choices(RfmClass), _("RFM class")
    ),
    "lifecycle_stage": Field(
        "choice",
        "score__lifecycle_stage",
        CHOICE_OPS,
        _choices(LifecycleStage),
        _("lifecycle stage"),
    ),
    "historical_value": Field(
        "money", "score__historical_value", NUMBER_OPS, label=_("historical value")
    ),
    "p_alive": Field("number", "score__p_alive", NUMBER_OPS, label=_("probability alive")),
    "predicted_purchases_90d": Field(
        "number",
        "score__predicted_purchases_90d",
        NUMBER_OPS,
        label=_("predicted purchases (90 days)"),
    ),
    "predicted_value_90d": Field(
        "money", "score__predicted_value_90d", NUMBER_OPS, label=_("predicted value (90 days)")
    ),
    # Order aggregates over a trailing window of ``days`` (paid orders only)
    "spent": Field("aggregate", ops=NUMBER_OPS[:-1], label=_("spent in the last N days")),
    "orders": Field("aggregate", ops=NUMBER_OPS[:-1], label=_("paid orders in the last N days")),
    "bought_category": Field(
        "set", ops=("has", "has_not", "has_any"), label=_("bought from category")
    ),
    "last_order_channel": Field(
        "text", ops=("=", "!=", "in", "not_in"), label=_("channel of last order")
    ),
}


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def compile_rule(rule: dict | None, *, as_of: date | None = None) -> Q:
    """Validate ``rule`` and turn it into a ``Q`` over ``Customer``.

    ``as_of`` anchors the trailing windows of order aggregates (default: today).
    Raises :class:`RuleError` for any bad node, naming its path.
    """
    if rule is None:
        rule = {}
    if not isinstance(rule, dict):
        raise RuleError("", "a rule must be a JSON object")
    compiler = _Compiler(as_of or timezone.localdate())
    return compiler.node(rule, path="", depth=0)


def validate_rule(rule: Any) -> None:
    """Raise :class:`RuleError` if ``rule`` would not compile."""
    compile_rule(rule)


class _Compiler:
    def __init__(self, as_of: date):
        self.as_of = as_of

    def node(self, node: Any, *, path: str, depth: int) -> Q:
        if depth > MAX_DEPTH:
            raise RuleError(path, f"rules may nest at most {MAX_DEPTH} levels")
        if not isinstance(node, dict):
            raise RuleError(path, "each node must be an object")
        groups = [key for key in ("all", "any", "not") if key in node]
        if groups:
            if len(node) != 1:
                raise RuleError(path, "a group node has exactly one key: all, any or not")
            key = groups[0]
            here = _at(path, key)
            if key == "not":
                return ~self.node(node["not"], path=here, depth=depth + 1)
            children = node[key]
            if not isinstance(children, list):
                raise RuleError(here, f"'{key}' takes a list of conditions")
            compiled = [
                self.node(child, path=f"{here}[{i}]", depth=depth + 1)
                for i, child in enumerate(children)
            ]
            if not compiled:
                return Q()
            result = compiled[0]
            for q in compiled[1:]:
                result = (result & q) if key == "all" else (result | q)
            return result
        if not node:
            return Q()
        return self.condition(node, path=path)

    def condition(self, node: dict, *, path: str) -> Q:
        unknown = set(node) - {"field", "op", "value", "days"}
        if unknown:
            raise RuleError(path, f"unknown key(s) {sorted(unknown)}")
        name = node.get("field")
        field = FIELDS.get(name) if isinstance(name, str) else None
        if field is None:
            raise RuleError(
                _at(path, "field"), f"unknown field {name!r}; known fields: {', '.join(FIELDS)}"
            )
        op = node.get("op")
        if op not in field.ops:
            raise RuleError(
                _at(path, "op"),
                f"operator {op!r} does not apply to {name}; use one of {', '.join(field.ops)}",
            )
        if (
            "days" in node
            and field.kind != "aggregate"
            and name not in {"bought_category", "last_order_channel"}
        ):
            raise RuleError(_at(path, "days"), f"{name} takes no 'days'")
        value = node.get("value")
        vpath = _at(path, "value")
        if op == "is_null":
            if not isinstance(value, bool):
                raise RuleError(vpath, "is_null takes true or false")
            return Q(**{f"{field.lookup}__isnull": value})
        if name in {"spent", "orders"}:
            return self.aggregate(name, op, value, node, path)
        if name == "bought_category":
            return self.bought_category(op, value, node, path)
        if name == "last_order_channel":
            return self.last_order_channel(op, value, path)
        if field.kind == "set":
            return self.set_condition(field, op, value, vpath)
        return self.compare(field, field.lookup, op, value, vpath)

    # --- scalar comparisons -----------------------------------------------------------

    def compare(self, field: Field, target: str | Expression, op: str, value: Any, vpath: str) -> Q:
        """``target`` is a lookup path on Customer or an expression (an aggregate subquery)."""

        def lookup(lookup_class, rhs) -> Q:
            if isinstance(target, str):
                return Q(**{f"{target}__{lookup_class.lookup_name}": rhs})
            return Q(lookup_class(target, rhs))

        if op in {"in", "not_in"}:
            if not isinstance(value, list) or not value:
                raise RuleError(vpath, f"{op} takes a non-empty list")
            values = [self.scalar(field, v, f"{vpath}[{i}]") for i, v in enumerate(value)]
            q = lookup(In, values)
            return ~q if op == "not_in" else q
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise RuleError(vpath, "between takes a list of two values [low, high]")
            low, high = (self.scalar(field, v, f"{vpath}[{i}]") for i, v in enumerate(value))
            if low > high:
                raise RuleError(vpath, "between needs low ≤ high")
            return lookup(GreaterThanOrEqual, low) & lookup(LessThanOrEqual, high)
        if op == "contains":
            if not isinstance(value, str) or not value:
                raise RuleError(vpath, "contains takes a non-empty text")
            return lookup(IContains, value)
        q = lookup(COMPARISONS[op], self.scalar(field, value, vpath))
        return ~q if op == "!=" else q

    def scalar(self, field: Field, value: Any, vpath: str) -> Any:
        kind = field.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise RuleError(vpath, "expected true or false")
            return value
        if kind == "choice":
            if value not in field.choices:
                raise RuleError(vpath, f"{value!r} is not one of {', '.join(field.choices)}")
            return value
        if kind == "text":
            if not isinstance(value, str):
                raise RuleError(vpath, "expected a text value")
            return value
        if kind == "date":
            return self.as_datetime(value, vpath)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise RuleError(vpath, "expected a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise RuleError(vpath, f"{value!r} is not a number") from None
        if not number.is_finite():
            raise RuleError(vpath, "expected a finite number")
        if kind == "integer":
            if number != number.to_integral_value():
                raise RuleError(vpath, "expected a whole number")
            return int(number)
        if kind == "number":
            return float(number)
        return number

    def as_datetime(self, value: Any, vpath: str) -> datetime:
        if not isinstance(value, str):
            raise RuleError(vpath, "expected a date as YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise RuleError(vpath, f"{value!r} is not a date (YYYY-MM-DD)") from None
        return timezone.make_aware(datetime.combine(day, time.min))

    # --- sets: tags, groups, categories --------------------------------------------------

    def names(self, op: str, value: Any, vpath: str) -> list[str]:
        if op in {"has", "has_not"}:
            if not isinstance(value, str) or not value:
                raise RuleError(vpath, f"{op} takes one name")
            return [value]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise RuleError(vpath, f"{op} takes a non-empty list of names")
        return value

    def set_condition(self, field: Field, op: str, value: Any, vpath: str) -> Q:
        names = self.names(op, value, vpath)
        if field.lookup.startswith("memberships"):
            base = GroupMembership.objects.filter(customer=OuterRef("pk"), left_at__isnull=True)
            name_lookup = "group__name"
        else:
            base = Customer.tags.through.objects.filter(customer=OuterRef("pk"))
            name_lookup = "tag__name"
        if op == "has_all":
            q = Q()
            for name in names:
                q &= Exists(base.filter(**{name_lookup: name}))
            return q
        exists = Exists(base.filter(**{f"{name_lookup}__in": names}))
        return ~Q(exists) if op == "has_not" else Q(exists)

    # --- order aggregates ---------------------------------------------------------------

    def window_start(self, node: dict, path: str) -> datetime:
        days = node.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise RuleError(
                _at(path, "days"), f"'days' must be a whole number from 1 to {MAX_DAYS}"
            )
        start = self.as_of - timedelta(days=days - 1)
        return timezone.make_aware(datetime.combine(start, time.min))

    def window_end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.as_of + timedelta(days=1), time.min))

    def paid_orders(self, node: dict, path: str):
        return Order.objects.paid().filter(
            customer=OuterRef("pk"),
            paid_at__gte=self.window_start(node, path),
            paid_at__lt=self.window_end(),
        )

    def aggregate(self, name: str, op: str, value: Any, node: dict, path: str) -> Q:
        """One uncorrelated grouped subquery: the customers whose window total passes
        (``GROUP BY customer HAVING ...``), plus, when 0 passes, every customer without an
        order in the window (their total is 0, not NULL). The database aggregates the
        window's orders once instead of once per candidate customer."""
        orders = Order.objects.paid().filter(
            paid_at__gte=self.window_start(node, path), paid_at__lt=self.window_end()
        )
        per_customer = orders.order_by().values("customer")
        if name == "spent":
            field, totals = Field("money"), per_customer.annotate(total=Sum("paid_total"))
        else:
            field, totals = Field("integer"), per_customer.annotate(total=Count("pk"))
        condition = self.compare(field, "total", op, value, _at(path, "value"))
        q = Q(pk__in=totals.filter(condition).values("customer"))
        if _holds_for_zero(op, value):
            q |= ~Q(pk__in=orders.values("customer"))
        return q

    def bought_category(self, op: str, value: Any, node: dict, path: str) -> Q:
        names = self.names(op, value, _at(path, "value"))
        lines = OrderLine.objects.filter(
            order__customer=OuterRef("pk"),
            order__status__in=Order.PAID_STATUSES,
            sku__product__category__name__in=names,
        )
        if "days" in node:
            lines = lines.filter(
                order__paid_at__gte=self.window_start(node, path),
                order__paid_at__lt=self.window_end(),
            )
        exists = Q(Exists(lines))
        return ~exists if op == "has_not" else exists

    def last_order_channel(self, op: str, value: Any, path: str) -> Q:
        """Customers without a paid order have no last channel and never match."""
        last = (
            Order.objects.paid()
            .filter(customer=OuterRef("pk"), channel__isnull=False)
            .order_by("-paid_at", "-pk")
            .values("channel__code")[:1]
        )
        q = self.compare(Field("text"), Subquery(last), op, value, _at(path, "value"))
        return q & Q(
            Exists(Order.objects.paid().filter(customer=OuterRef("pk"), channel__isnull=False))
        )


def customers_matching(rule: dict | None, *, as_of: date | None = None, queryset=None):
    """The customers a rule selects, as one queryset."""
    qs = Customer.objects.all() if queryset is None else queryset
    return qs.filter(compile_rule(rule, as_of=as_of))


def sums_orders(rule: dict | None) -> bool:
    """Whether ``rule`` (already compiled) has a ``spent`` or ``orders`` condition: every
    query of its customers then sums the window's orders per customer first."""
    if not isinstance(rule, dict):
        return False
    if rule.get("field") in {"spent", "orders"}:
        return True
    children = [rule["not"]] if "not" in rule else [*rule.get("all", []), *rule.get("any", [])]
    return any(sums_orders(child) for child in children)


def _holds_for_zero(op: str, value: Any) -> bool:
    """Whether a total of 0 passes ``op value`` (the value was validated by compare)."""
    if op in {"in", "not_in"}:
        return (0 in value) == (op == "in")
    if op == "between":
        return value[0] <= 0 <= value[1]
    compare = {
        "=": lambda v: v == 0,
        "!=": lambda v: v != 0,
        ">": lambda v: v < 0,
        ">=": lambda v: v <= 0,
        "<": lambda v: v > 0,
        "<=": lambda v: v >= 0,
    }
    return compare[op](value)
