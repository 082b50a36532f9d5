"""Writes of the customers app: the points ledger (points_*) and community groups
(group_*).

Every change of a customer's points is one ``PointsEntry`` row written under the
customer's row lock, with the balance after it; ``Customer.points_balance`` moves with
``F()`` in the same transaction, so it always equals the sum of the ledger and can never go
negative, whatever runs concurrently. An ``idempotency_key`` makes a repeated call (a
retried task, a double click) return the entry it wrote the first time.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from customers.audit import audit_record, audit_record_many
from customers.errors import ServiceError
from customers.models import CommunityGroup, Customer, GroupMembership, PointsEntry

Reason = PointsEntry.Reason


class PointsError(ServiceError):
    INSUFFICIENT = "insufficient_points"
    INVALID = "invalid_points"


def points_award(
    *,
    customer: Customer | int,
    points: int,
    reason: str,
    idempotency_key: str,
    reference: str = "",
    note: str = "",
    created_by=None,
    at: datetime | None = None,
) -> PointsEntry:
    """Add ``points`` (> 0) to the customer's balance."""
    if points <= 0:
        raise PointsError(PointsError.INVALID, f"an award is a positive number, not {points}")
    return _write(customer, points, reason, idempotency_key, reference, note, created_by, at)


def points_spend(
    *,
    customer: Customer | int,
    points: int,
    reason: str,
    idempotency_key: str,
    reference: str = "",
    note: str = "",
    created_by=None,
    at: datetime | None = None,
) -> PointsEntry:
    """Take ``points`` (> 0) from the balance; refused when the balance is smaller."""
    if points <= 0:
        raise PointsError(PointsError.INVALID, f"a spend is a positive number, not {points}")
    return _write(customer, -points, reason, idempotency_key, reference, note, created_by, at)


def points_adjust(
    *,
    customer: Customer | int,
    delta: int,
    note: str,
    created_by,
    idempotency_key: str,
    at: datetime | None = None,
) -> PointsEntry:
    """A manual correction by staff, up or down, always with a reason."""
    if not note.strip():
        raise PointsError(PointsError.INVALID, "a manual adjustment needs a reason")
    if delta == 0:
        raise PointsError(PointsError.INVALID, "an adjustment of 0 points changes nothing")
    entry = _write(customer, delta, Reason.ADJUSTMENT, idempotency_key, "", note, created_by, at)
    if getattr(entry, "replayed", False):
        return entry
    audit_record(
        "points_adjust",
        entry.customer if isinstance(customer, Customer) else Customer(pk=entry.customer_id),
        by=created_by,
        before={"points_balance": entry.balance_after - entry.delta},
        after={"points_balance": entry.balance_after, "note": note},
        customer=entry.customer_id,
    )
    return entry


def points_claw_back(
    *,
    customer: Customer | int,
    points: int,
    reason: str,
    idempotency_key: str,
    reference: str = "",
    note: str = "",
    at: datetime | None = None,
) -> PointsEntry | None:
    """Take back up to ``points`` (what a refunded order earned): as much as the balance
    holds, since it may already be spent; the note records any shortfall. None when the
    balance is 0."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    existing = PointsEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        balance = (
            Customer.objects.select_for_update()
            .values_list("points_balance", flat=True)
            .get(pk=customer_id)
        )
        taken = min(points, balance)
        if taken <= 0:
            return None
        if taken < points:
            note = f"{note} ({points - taken} already spent)".strip()
        return _write(customer_id, -taken, reason, idempotency_key, reference, note, None, at)


def points_expire(*, customer: Customer | int, cutoff: datetime, at=None) -> PointsEntry | None:
    """Expire what is left of the points earned before ``cutoff``, oldest first.

    Points are consumed first-in, first-out: every spend, expiry and negative adjustment
    uses the oldest points left. So what remains of the points earned before ``cutoff`` is
    max(0, Σ earned before cutoff − Σ consumed so far), and that is what expires. Safe to
    run twice for one cutoff (the key names it).
    """
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer_id).first()
        entries = PointsEntry.objects.filter(customer_id=customer_id)
        earned = entries.filter(delta__gt=0, created_at__lt=cutoff).aggregate(s=Sum("delta"))["s"]
        consumed = -(entries.filter(delta__lt=0).aggregate(s=Sum("delta"))["s"] or 0)
        left = (earned or 0) - consumed
        if left <= 0:
            return None
        key = f"expiry:{customer_id}:{cutoff.isoformat()}"
        return _write(customer_id, -left, Reason.EXPIRY, key, "", "", None, at)


def _write(customer, delta, reason, key, reference, note, created_by, at) -> PointsEntry:
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    existing = PointsEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        existing.replayed = True  # a retry: the first write counted
        return existing
    try:
        with transaction.atomic():
            balance = (
                Customer.objects.select_for_update()
                .values_list("points_balance", flat=True)
                .get(pk=customer_id)
            )
            if balance + delta < 0:
                raise PointsError(
                    PointsError.INSUFFICIENT,
                    f"the balance is {balance} points, {-delta} are needed",
                )
            entry = PointsEntry.objects.create(
                customer_id=customer_id,
                delta=delta,
                balance_after=balance + delta,
                reason=reason,
                reference=reference,
                idempotency_key=key,
                note=note,
                created_by=created_by,
                created_at=at or timezone.now(),
            )
            Customer.objects.filter(pk=customer_id).update(
                points_balance=F("points_balance") + delta
            )
            return entry
    except IntegrityError:
        # The same key written concurrently by another request: that one counts.
        existing = PointsEntry.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        existing.replayed = True
        return existing


# --- Community groups -------------------------------------------------------------------


class GroupError(ServiceError):
    INACTIVE = "group_inactive"


def group_members_add(
    *,
    group: CommunityGroup | int,
    customers,
    role: str = GroupMembership.Role.MEMBER,
    by=None,
    at: datetime | None = None,
) -> dict:
    """Add customers to a group, up to its capacity, under the group's row lock (two
    staff filling the same group at once cannot overfill it). Customers already in it are
    left as they are. Returns counts: added, already members, refused for capacity."""
    at = at or timezone.now()
    ids = list(dict.fromkeys(c.pk if isinstance(c, Customer) else c for c in customers))
    with transaction.atomic():
        group = CommunityGroup.objects.select_for_update().get(
            pk=group.pk if isinstance(group, CommunityGroup) else group
        )
        if not group.active:
            raise GroupError(GroupError.INACTIVE, f"{group} is not active")
        active = GroupMembership.objects.filter(group=group, left_at__isnull=True)
        present = set(active.filter(customer_id__in=ids).values_list("customer_id", flat=True))
        room = max(0, group.capacity - active.count())
        new = [cid for cid in ids if cid not in present]
        admitted, refused = new[:room], new[room:]
        created = GroupMembership.objects.bulk_create(
            [
                GroupMembership(group=group, customer_id=cid, role=role, joined_at=at)
                for cid in admitted
            ],
            batch_size=2000,
        )
        audit_record_many(
            "group_join", created, by=by, after={"group": group.name, "role": role}, at=at
        )
    return {"added": len(admitted), "already": len(present), "full": len(refused)}


def group_members_remove(*, group: CommunityGroup | int, customers, by=None, at=None) -> int:
    """Close the active memberships of these customers (history is kept)."""
    at = at or timezone.now()
    ids = [c.pk if isinstance(c, Customer) else c for c in customers]
    with transaction.atomic():
        memberships = list(
            GroupMembership.objects.select_for_update().filter(
                group=group, customer_id__in=ids, left_at__isnull=True
            )
        )
        GroupMembership.objects.filter(pk__in=[m.pk for m in memberships]).update(left_at=at)
        audit_record_many("group_leave", memberships, by=by, after={"left_at": at}, at=at)
    return len(memberships)


def customers_mark_koc(*, customers, is_koc: bool = True, by=None) -> int:
    """Mark (or unmark) customers as KOCs (key opinion consumers)."""
    ids = [c.pk if isinstance(c, Customer) else c for c in customers]
    with transaction.atomic():
        changing = list(Customer.objects.filter(pk__in=ids).exclude(is_koc=is_koc))
        Customer.objects.filter(pk__in=[c.pk for c in changing]).update(is_koc=is_koc)
        audit_record_many(
            "koc", changing, by=by, before={"is_koc": not is_koc}, after={"is_koc": is_koc}
        )
    return len(changing)
