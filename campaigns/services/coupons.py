"""Coupons: issue, quote, redeem and reverse — every limit checked under a row lock.

:func:`coupon_redeem` locks the coupon's *template* row first (``SELECT ... FOR UPDATE``),
so every redemption of one offer, through any of its codes, is checked and counted one
at a time: the total limit, the per-customer limit and the budget can never be overrun by
concurrent requests. Counters move with ``F()`` inside that lock. Refusals raise
:class:`CouponError` with a machine ``code`` and a message for people.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from analytics.selectors import segment_members
from campaigns.discounts import ZERO, CartLine, Offer, discount, eligible_lines, eligible_subtotal
from campaigns.models import Coupon, CouponTemplate, Redemption
from catalog.models import SKU, Category, Order, OrderLine
from customers.audit import audit_record_many
from customers.errors import ServiceError
from customers.models import Customer, GroupMembership
from ecomops.bulk import insert_objects

# Unambiguous characters (no 0/O, 1/I/L): codes are read aloud and typed from screens.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31^12 ≈ 8e17: unguessable, and collisions practically never happen


class CouponError(ServiceError):
    """A coupon that cannot be used here, with the reason as a code and a message."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    MIN_SPEND_NOT_MET = "min_spend_not_met"
    NOT_APPLICABLE = "not_applicable"
    NOT_YOUR_COUPON = "not_your_coupon"
    LIMIT_REACHED = "limit_reached"
    CUSTOMER_LIMIT_REACHED = "customer_limit_reached"
    BUDGET_EXHAUSTED = "budget_exhausted"
    ALREADY_USED_ON_ORDER = "already_used_on_order"
    NOT_STACKABLE = "not_stackable"
    ORDER_NOT_PAID = "order_not_paid"


@dataclass(frozen=True)
class Quote:
    code: str
    discount: Decimal
    eligible_subtotal: Decimal


# --- Issuing ----------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def coupon_expiry(template: CouponTemplate, issued_at: datetime) -> datetime | None:
    """When a coupon of ``template`` issued at ``issued_at`` expires (None: never)."""
    ends = [template.valid_until] if template.valid_until else []
    if template.valid_days:
        ends.append(issued_at + timedelta(days=template.valid_days))
    return min(ends) if ends else None


@transaction.atomic
def coupons_issue(
    *, template: CouponTemplate, customers: Iterable[Customer | int], issued_at=None
) -> list[Coupon]:
    """One personal coupon per customer, each with its own unguessable code."""
    issued_at = issued_at or timezone.now()
    expires_at = coupon_expiry(template, issued_at)
    ids = [c.pk if isinstance(c, Customer) else c for c in customers]
    coupons = [
        Coupon(
            template=template,
            code=new_code(),
            customer_id=customer_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        for customer_id in ids
    ]
    try:
        with transaction.atomic():
            created = insert_objects(Coupon, coupons)
    except IntegrityError:  # a code collision (about 1 in 10^12 per batch): draw again
        for coupon in coupons:
            coupon.pk = None
            coupon.code = new_code()
        created = insert_objects(Coupon, coupons)
    audit_record_many(
        "issue", created, after=lambda c: {"template": template.name, "code": c.code}, at=issued_at
    )
    return created


SEGMENT_ISSUE_LIMIT = 20_000  # more at once: a campaign, which works in the background


@transaction.atomic
def coupons_issue_to_segment(*, templates, segment) -> tuple[int, int]:
    """One personal coupon of each template to every member of ``segment`` (nothing is
    sent). Returns (coupons issued, members); refused above ``SEGMENT_ISSUE_LIMIT``."""
    members = list(segment_members(segment=segment).values_list("pk", flat=True))
    if len(members) > SEGMENT_ISSUE_LIMIT:
        raise CouponError(
            CouponError.LIMIT_REACHED,
            f"{segment} has {len(members):,} members; issue to more than "
            f"{SEGMENT_ISSUE_LIMIT:,} through a campaign, which works in the background",
        )
    issued = sum(len(coupons_issue(template=t, customers=members)) for t in templates)
    return issued, len(members)


def coupon_create_public(*, template: CouponTemplate, code: str) -> Coupon:
    """A shared code (printed on a flyer, posted in a group) for many customers, each
    within the template's per-customer limit."""
    code = code.strip().upper()
    if not code or len(code) > 32:
        raise CouponError(CouponError.UNKNOWN, "a public code has 1 to 32 characters")
    now = timezone.now()
    return Coupon.objects.create(
        template=template, code=code, customer=None, issued_at=now, expires_at=template.valid_until
    )


# --- Quoting and redeeming ----------------------------------------------------------------


def coupon_quote(
    *, code: str, customer: Customer | None, lines: Sequence[CartLine], shipping=ZERO, at=None
) -> Quote:
    """The discount ``code`` gives ``customer`` on a cart, or :class:`CouponError` saying
    why not. Nothing is locked or written: a quote is advice, the redemption decides."""
    coupon = _find(Coupon.objects.select_related("template"), code)
    template = coupon.template
    offer = offer_of(template)
    _check_coupon(coupon, customer, at or timezone.now())
    _check_customer_limit(template, coupon, customer)
    _check_total_limit(template)
    amount = _check_cart(offer, lines, shipping)
    amount = _within_budget(template, amount)
    return Quote(
        code=coupon.code, discount=amount, eligible_subtotal=eligible_subtotal(offer, lines)
    )


@transaction.atomic
def coupon_redeem(*, code: str, order: Order, at=None) -> Redemption:
    """Use ``code`` on a paid ``order``: check it under the template's row lock, record
    the redemption and count it. Raises :class:`CouponError`."""
    found = _find(Coupon.objects.all(), code)
    # Lock the offer first, then the code: every redemption of the offer queues here.
    template = CouponTemplate.objects.select_for_update().get(pk=found.template_id)
    coupon = Coupon.objects.select_for_update().get(pk=found.pk)
    if order.status not in Order.PAID_STATUSES:
        raise CouponError(CouponError.ORDER_NOT_PAID, f"order {order.external_id} is not paid")
    customer = order.customer
    _check_coupon(coupon, customer, at or order.paid_at or timezone.now(), template=template)
    live = Redemption.objects.filter(order=order, reversed_at__isnull=True)
    if live.filter(coupon=coupon).exists():
        raise CouponError(
            CouponError.ALREADY_USED_ON_ORDER, f"{coupon.code} is already used on this order"
        )
    others = live.select_related("coupon__template")
    if others.exists() and (
        not template.stackable or any(not r.coupon.template.stackable for r in others)
    ):
        raise CouponError(
            CouponError.NOT_STACKABLE, "this order already has a coupon that does not combine"
        )
    _check_customer_limit(template, coupon, customer)
    _check_total_limit(template)
    amount = _check_cart(offer_of(template), order_lines(order), order.shipping_total)
    amount = _within_budget(template, amount)

    redemption = Redemption.objects.create(
        coupon=coupon, customer=customer, order=order, discount_amount=amount,
        redeemed_at=at or timezone.now(),
    )  # fmt: skip
    CouponTemplate.objects.filter(pk=template.pk).update(
        used_count=F("used_count") + 1, discount_given=F("discount_given") + amount
    )
    used_up = (
        coupon.customer_id is not None and coupon.times_used + 1 >= template.per_customer_limit
    )
    Coupon.objects.filter(pk=coupon.pk).update(
        times_used=F("times_used") + 1,
        status=Coupon.Status.REDEEMED if used_up else coupon.status,
    )
    return redemption


@transaction.atomic
def coupon_redemptions_reverse(*, order: Order, at=None) -> int:
    """Reverse the live redemptions of a refunded or cancelled order; where the template
    says so, the usage and the budget come back. Returns how many were reversed."""
    at = at or timezone.now()
    redemptions = list(
        Redemption.objects.select_for_update()
        .filter(order=order, reversed_at__isnull=True)
        .select_related("coupon__template")
        .order_by("pk")
    )
    for redemption in redemptions:
        coupon, template = redemption.coupon, redemption.coupon.template
        CouponTemplate.objects.select_for_update().filter(pk=template.pk).first()
        Redemption.objects.filter(pk=redemption.pk).update(reversed_at=at)
        if not template.free_usage_on_refund:
            continue
        CouponTemplate.objects.filter(pk=template.pk).update(
            used_count=F("used_count") - 1,
            discount_given=F("discount_given") - redemption.discount_amount,
        )
        expired = coupon.expires_at is not None and coupon.expires_at <= at
        status = Coupon.Status.EXPIRED if expired else Coupon.Status.ISSUED
        Coupon.objects.filter(pk=coupon.pk).update(
            times_used=F("times_used") - 1,
            status=status if coupon.status == Coupon.Status.REDEEMED else coupon.status,
        )
    return len(redemptions)


# --- Checks -------------------------------------------------------------------------------


def _find(queryset, code: str) -> Coupon:
    coupon = queryset.filter(code=(code or "").strip().upper()).first()
    if coupon is None:
        raise CouponError(CouponError.UNKNOWN, f"no coupon has the code {code!r}")
    return coupon


def offer_of(template: CouponTemplate) -> Offer:
    categories = set(template.applicable_categories.values_list("pk", flat=True))
    return Offer(
        kind=template.kind,
        value=template.value,
        min_spend=template.min_spend,
        max_discount=template.max_discount,
        nth_item=template.nth_item,
        product_ids=frozenset(template.applicable_products.values_list("pk", flat=True)),
        category_ids=frozenset(_with_descendants(categories)),
    )


def _with_descendants(category_ids: set[int]) -> set[int]:
    if not category_ids:
        return set()
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = set(), list(category_ids)
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo.extend(children.get(node, ()))
    return found


def order_lines(order: Order) -> list[CartLine]:
    rows = OrderLine.objects.filter(order=order).values_list(
        "sku__product_id", "sku__product__category_id", "quantity", "unit_price", "discount"
    )
    return [CartLine(p, c, q, price, line_discount) for p, c, q, price, line_discount in rows]


def sku_lines(items: Sequence[tuple[str, int, Decimal | None]]) -> tuple[list[CartLine], list[str]]:
    """Cart lines for (SKU code, quantity, unit price or None for the list price), and
    the codes that match no SKU (one query)."""
    codes = {code for code, _, _ in items}
    skus = {
        code: (product, category, price)
        for code, product, category, price in SKU.objects.filter(code__in=codes).values_list(
            "code", "product_id", "product__category_id", "list_price"
        )
    }
    lines = [
        CartLine(skus[code][0], skus[code][1], quantity, skus[code][2] if price is None else price)
        for code, quantity, price in items
        if code in skus
    ]
    return lines, sorted(codes - set(skus))


def _check_coupon(coupon: Coupon, customer: Customer | None, at, template=None) -> None:
    template = template or coupon.template
    if coupon.status == Coupon.Status.VOID or not template.active:
        raise CouponError(CouponError.EXPIRED, f"{coupon.code} is no longer valid")
    if template.valid_from and at < template.valid_from:
        raise CouponError(
            CouponError.NOT_YET_VALID,
            f"{coupon.code} is valid from {timezone.localtime(template.valid_from):%Y-%m-%d %H:%M}",
        )
    ends = [e for e in (coupon.expires_at, template.valid_until) if e]
    if coupon.status == Coupon.Status.EXPIRED or any(at >= end for end in ends):
        raise CouponError(CouponError.EXPIRED, f"{coupon.code} has expired")
    if coupon.customer_id is not None and (customer is None or customer.pk != coupon.customer_id):
        raise CouponError(CouponError.NOT_YOUR_COUPON, f"{coupon.code} belongs to someone else")
    if template.group_id is not None:
        member = (
            customer is not None
            and GroupMembership.objects.filter(
                group_id=template.group_id, customer=customer, left_at__isnull=True
            ).exists()
        )
        if not member:
            raise CouponError(
                CouponError.NOT_YOUR_COUPON, f"{coupon.code} is for members of a group only"
            )


def _check_customer_limit(template: CouponTemplate, coupon: Coupon, customer) -> None:
    if customer is None:  # a guest order: nobody to count against (the total limit holds)
        return
    used = Redemption.objects.filter(
        coupon__template=template, customer=customer, reversed_at__isnull=True
    )
    if used.count() >= template.per_customer_limit:
        raise CouponError(
            CouponError.CUSTOMER_LIMIT_REACHED,
            f"{coupon.code} may be used {template.per_customer_limit} time(s) per customer",
        )


def _check_total_limit(template: CouponTemplate) -> None:
    if template.total_limit is not None and template.used_count >= template.total_limit:
        raise CouponError(
            CouponError.LIMIT_REACHED, f"all {template.total_limit} uses of this offer are taken"
        )


def _check_cart(offer: Offer, lines: Sequence[CartLine], shipping) -> Decimal:
    if not eligible_lines(offer, lines):
        raise CouponError(CouponError.NOT_APPLICABLE, "the coupon does not apply to these products")
    subtotal = eligible_subtotal(offer, lines)
    if subtotal < offer.min_spend:
        raise CouponError(
            CouponError.MIN_SPEND_NOT_MET,
            f"spend at least {offer.min_spend} on eligible products (now {subtotal})",
        )
    amount = discount(offer, lines, shipping=Decimal(shipping))
    if amount <= 0:
        raise CouponError(CouponError.NOT_APPLICABLE, "the coupon takes nothing off this order")
    return amount


def _within_budget(template: CouponTemplate, amount: Decimal) -> Decimal:
    """The discount, cut to what is left of the budget; refused when nothing is left."""
    if template.budget is None:
        return amount
    left = template.budget - template.discount_given
    if left <= 0:
        raise CouponError(CouponError.BUDGET_EXHAUSTED, "this offer's budget is spent")
    return min(amount, left)


def template_redemption_totals(template: CouponTemplate) -> dict:
    """Live redemptions and discount of a template, recounted from the rows (a check on
    the counters: they must agree)."""
    live = Redemption.objects.filter(coupon__template=template, reversed_at__isnull=True)
    total = live.aggregate(total=Sum("discount_amount"))["total"]
    return {"redemptions": live.count(), "discount": total or ZERO}


@transaction.atomic
def coupons_void(*, coupons, by=None, at=None) -> int:
    """Void issued coupons (they can no longer be used); used or expired ones stay as they
    are. Returns how many were voided."""
    ids = [c.pk if isinstance(c, Coupon) else c for c in coupons]
    voiding = list(
        Coupon.objects.select_for_update().filter(pk__in=ids, status=Coupon.Status.ISSUED)
    )
    Coupon.objects.filter(pk__in=[c.pk for c in voiding]).update(status=Coupon.Status.VOID)
    audit_record_many(
        "void", voiding, by=by, before={"status": "issued"}, after={"status": "void"}, at=at
    )
    return len(voiding)
