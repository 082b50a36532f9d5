"""Private-domain community: VIP, welfare and interest groups, KOCs, and manual tags.

Gold and Diamond members mostly sit in the VIP groups; welfare groups (福利群) gather
deal-seekers; interest groups gather fans of one root category. Groups hold at most
``GROUP_SIZE`` active members, as WeCom groups do, so a big audience spreads over
numbered groups. KOCs (key opinion consumers) are picked among the most frequent buyers
and hold the ``koc`` role in their interest group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaigns.demo import reference as ref
from campaigns.demo.tables import NULL, Table, ids, text
from campaigns.demo.timeline import DAY, Timeline
from customers.models import CommunityGroup, CustomerTag, GroupMembership, Tag

VIP_JOIN, WELFARE_JOIN, INTEREST_JOIN, LEAVE = 0.75, 0.10, 0.06, 0.08
KOC_SHARE = 0.012  # of buyers


@dataclass
class Community:
    group: Table
    membership: Table
    tag: Table
    customer_tag: Table
    is_koc: np.ndarray  # bool per customer
    vip_group_id: int | None


def generate_community(
    rng: np.random.Generator,
    tl: Timeline,
    registered: np.ndarray,
    opt_in: np.ndarray,
    preferred_root: np.ndarray,
    tier: np.ndarray,
    tier_since: np.ndarray,
    paid_orders: np.ndarray,
    complained: np.ndarray,
    owner_id: int | None,
) -> Community:
    """Groups, memberships, KOC flags and manual tags (arrays per customer in, tables out)."""
    n = len(registered)
    groups: list[tuple[str, str, str]] = []  # name, kind, description
    member_rows: list[tuple[np.ndarray, int, np.ndarray]] = []  # customers, group index, since

    def add_family(stem: str, kind: str, description: str, who: np.ndarray, since: np.ndarray):
        who = rng.permutation(who)
        k = max(1, -(-len(who) // ref.GROUP_SIZE))
        for g in range(k):
            name = f"{stem} {g + 1:02d}" if k > 1 or kind != "interest" else stem
            groups.append((name, kind, description))
            chunk = who[g * ref.GROUP_SIZE : (g + 1) * ref.GROUP_SIZE]
            member_rows.append((chunk, len(groups) - 1, since[chunk]))

    vip = np.flatnonzero((tier >= 2) & opt_in & (rng.random(n) < VIP_JOIN))
    add_family(
        "VIP Club",
        "vip",
        "Gold and Diamond members: first looks and private sales.",
        vip,
        tier_since,
    )
    vip_group_id = 1
    welfare = np.flatnonzero(opt_in & (rng.random(n) < WELFARE_JOIN))
    add_family(
        "Welfare Group", "welfare", "Daily deals and coupon drops (福利群).", welfare, registered
    )
    interest_group = {}
    for r, spec in enumerate(ref.ROOTS):
        fans = np.flatnonzero((preferred_root == r) & opt_in & (rng.random(n) < INTEREST_JOIN))
        interest_group[r] = len(groups)
        add_family(
            ref.INTEREST_GROUPS[spec.name],
            "interest",
            f"Fans of {spec.name.lower()}.",
            fans,
            registered,
        )

    # KOCs: frequent buyers who agreed to be contacted, with the koc role in a fan group.
    buyers = np.flatnonzero(paid_orders > 0)
    frequent = (
        buyers[paid_orders[buyers] >= np.quantile(paid_orders[buyers], 0.9)]
        if len(buyers)
        else buyers
    )
    frequent = frequent[opt_in[frequent]]
    n_koc = min(len(frequent), max(2, round(KOC_SHARE * len(buyers))))
    koc = np.sort(rng.choice(frequent, n_koc, replace=False)) if n_koc else frequent[:0]
    is_koc = np.zeros(n, dtype=bool)
    is_koc[koc] = True

    customer = np.concatenate([m[0] for m in member_rows]) if member_rows else np.zeros(0, np.int64)
    group = (
        np.concatenate([np.full(len(m[0]), m[1]) for m in member_rows]) if member_rows else customer
    )
    since = np.concatenate([m[2] for m in member_rows]) if member_rows else customer
    role = np.full(len(customer), "member", dtype=object)
    # A KOC not yet in their fan group joins it; one already in it becomes its KOC.
    home = np.array([interest_group[r] for r in preferred_root[koc]], dtype=np.int64)
    inside = np.isin(customer * 1_000_000 + group, koc * 1_000_000 + home)
    role[inside] = "koc"
    missing = ~np.isin(koc * 1_000_000 + home, customer * 1_000_000 + group)
    customer = np.r_[customer, koc[missing]]
    group = np.r_[group, home[missing]]
    since = np.r_[since, registered[koc[missing]]]
    role = np.r_[role, np.full(missing.sum(), "koc", dtype=object)]

    since = np.maximum(since, registered[customer])
    joined = since + np.floor(rng.random(len(customer)) * (tl.end - since)).astype(np.int64)
    leave_at = joined + rng.integers(DAY, 200 * DAY, len(customer))
    left = np.where(
        (rng.random(len(customer)) < LEAVE) & (role == "member") & (leave_at < tl.end),
        leave_at,
        NULL,
    )
    by_time = np.argsort(joined, kind="stable")
    membership = Table(
        GroupMembership,
        {
            "id": ids(len(customer)),
            "customer_id": customer[by_time] + 1,
            "group_id": group[by_time] + 1,
            "role": role[by_time],
            "joined_at": joined[by_time],
            "left_at": left[by_time],
        },
    )
    g = len(groups)
    group_table = Table(
        CommunityGroup,
        {
            "id": ids(g),
            "name": text(x[0] for x in groups),
            "kind": text(x[1] for x in groups),
            "platform": text(["wecom"] * g),
            "capacity": np.full(g, 500, dtype=np.int64),
            "owner_id": np.full(g, owner_id if owner_id is not None else NULL, dtype=np.int64),
            "description": text(x[2] for x in groups),
            "active": np.ones(g, dtype=bool),
            "created_at": np.full(g, tl.start, dtype=np.int64),
        },
    )
    tag, customer_tag = _tags(rng, tl, registered, tier, is_koc, complained, paid_orders)
    return Community(
        group=group_table,
        membership=membership,
        tag=tag,
        customer_tag=customer_tag,
        is_koc=is_koc,
        vip_group_id=vip_group_id,
    )


def _tags(rng, tl, registered, tier, is_koc, complained, paid_orders):
    """The manual tags the ops team has put on customers by hand."""
    n = len(registered)
    holders = [
        np.flatnonzero((tier == 3) & (rng.random(n) < 0.5)),  # VIP care
        np.flatnonzero(is_koc),  # Influencer
        np.flatnonzero(complained & (rng.random(n) < 0.15)),  # Complaint history
        np.flatnonzero((paid_orders >= 3) & (rng.random(n) < 0.004)),  # Wholesale buyer
    ]
    tag = Table(
        Tag,
        {
            "id": ids(len(ref.TAGS)),
            "name": text(t[0] for t in ref.TAGS),
            "kind": text(["manual"] * len(ref.TAGS)),
            "description": text(t[1] for t in ref.TAGS),
            "created_at": np.full(len(ref.TAGS), tl.start, dtype=np.int64),
        },
    )
    customer = np.concatenate(holders)
    tag_id = np.concatenate([np.full(len(h), k + 1) for k, h in enumerate(holders)])
    start = registered[customer]
    assigned = start + np.floor(rng.random(len(customer)) * (tl.end - start)).astype(np.int64)
    customer_tag = Table(
        CustomerTag,
        {
            "id": ids(len(customer)),
            "customer_id": customer + 1,
            "tag_id": tag_id,
            "source": text(["manual"] * len(customer)),
            "assigned_at": assigned,
        },
    )
    return tag, customer_tag
