"""The fast path for generic orders rows: a million lines in a few seconds of Python.

Each column is parsed through a :class:`~catalog.importing.parsing.Memo`, so a repeated
cell (a date shared by an order's lines, a price, a SKU) costs one dictionary lookup,
and the memo yields the value already rendered for the stage (COPY text on PostgreSQL).
Any row the fast path is not sure of (a value that does not parse, a missing required
cell) goes to the careful per-cell path in :mod:`catalog.importing.orders`, which reports
every problem of the row; both paths accept exactly the same rows.
"""

from __future__ import annotations

from catalog.importing.errors import FieldError
from catalog.importing.orders_direct import Run
from catalog.importing.parsing import Memo, blank, parse_datetime

EXTRA_NULLS = 8  # customer details, marketing, refund, refunded_at: not in the generic layout


class FastOrderRows:
    def __init__(self, importer, render, parsers: dict):
        self.imp = importer
        self.r = render
        null = render.null
        p = parsers

        def optional(parse, rendered):
            def run(raw):
                if blank(raw):
                    return None
                value = parse(raw)
                return (value, rendered(value))

            return Memo(run)

        self.ident = Memo(lambda raw: None if blank(raw) else render.text(p["ident"](raw)))
        self.dt = optional(lambda raw: parse_datetime(raw), render.datetime)
        self.money = optional(p["amount"], str)
        self.qty = Memo(lambda raw: None if blank(raw) else p["quantity"](raw))
        self.status = Memo(lambda raw: None if blank(raw) else p["status"](raw))
        self.channel = Memo(lambda raw: null if blank(raw) else str(p["channel"](raw)))
        self.region = Memo(lambda raw: null if blank(raw) else render.text(p["region"](raw)))
        self.sku = Memo(lambda raw: None if blank(raw) else self._sku(raw))
        self.null = null
        self.run: Run | None = None  # the run still open at the end of the last chunk
        self.run_keys: set[str] = set()  # order ids that had a run
        # The generic layout never fills the stage's last columns.
        self.finish = (
            (lambda values: "\t".join(values) + "\t\\N" * EXTRA_NULLS + "\n")
            if render.pg
            else (lambda values: (*values, *([None] * EXTRA_NULLS)))
        )

    def _sku(self, raw):
        code = str(raw).strip()
        found = self.imp.skus.get(code)
        if found is None:
            raise FieldError("unknown SKU", "unknown_sku")
        return (str(found[0]), str(found[1]))

    def _line_cells(self, sku, quantity, price, discount) -> tuple:
        null = self.null
        if sku is None:
            return (null, null, null, null, null)
        return (sku[0], str(quantity), price[1], sku[1], discount[1] if discount else null)

    def close_run(self) -> list[Run]:
        """The run left open (at the end of the file)."""
        run, self.run = self.run, None
        return [run] if run is not None else []

    def split(self, rows: list) -> tuple[list, list, list, list, list]:
        """(rendered stage rows, rows for the careful path, order lines as (order key,
        sku id, quantity, unit price, unit cost, discount) texts, order keys, runs that
        ended in this chunk)."""
        imp, null, finish = self.imp, self.null, self.finish
        index = imp.columns.positions
        width = len(imp.columns.header)
        absent = width
        at = {f: index.get(f, absent) for f in imp.layout.fields}
        i_key, i_cust, i_created, i_paid = (
            at["order_id"],
            at["customer_id"],
            at["created_at"],
            at["paid_at"],
        )
        i_status, i_channel, i_total, i_sku = at["status"], at["channel"], at["total"], at["sku"]
        i_qty, i_price, i_disc, i_ship = (
            at["quantity"],
            at["unit_price"],
            at["discount"],
            at["shipping"],
        )
        i_region, i_od, i_lc = at["region"], at["order_discount"], at["logistics_cost"]
        ident, dt, money, qty_of, status_of = self.ident, self.dt, self.money, self.qty, self.status
        channel_of, region_of, sku_of = self.channel, self.region, self.sku
        fast, slow, lines, keys, ended = [], [], [], [], []
        run, run_keys, multi = self.run, self.run_keys, imp.direct.multi
        repeated = [null] * 11  # row_hash and the order-level cells
        for line, row in rows:
            if len(row) <= width:
                row.extend([""] * (width + 1 - len(row)))
            key = row[i_key]
            if key:
                # Order ids rarely repeat beyond one order's lines: checked inline, not memoised.
                key = key.strip() if isinstance(key, str) else None
                if (
                    not key
                    or len(key) > 64
                    or key[0] == "'"
                    or "\\" in key
                    or not key.isprintable()
                ):
                    slow.append((line, row))
                    continue
            else:
                key = None
            try:
                customer = ident[row[i_cust]]
                created = dt[row[i_created]]
                paid = dt[row[i_paid]]
                status = status_of[row[i_status]]
                channel = channel_of[row[i_channel]]
                total = money[row[i_total]]
                sku = sku_of[row[i_sku]]
                quantity = qty_of[row[i_qty]]
                price = money[row[i_price]]
                discount = money[row[i_disc]]
                shipping = money[row[i_ship]]
                region = region_of[row[i_region]]
                order_discount = money[row[i_od]]
                logistics = money[row[i_lc]]
            except (FieldError, TypeError):
                slow.append((line, row))
                continue
            if sku is None:
                if quantity is not None or price is not None or (total is None and key is None):
                    slow.append((line, row))
                    continue
            elif (
                quantity is None
                or price is None
                or (discount is not None and discount[0] > quantity * price[0])
            ):
                slow.append((line, row))
                continue
            if (key is None and created is None) or (
                paid is not None and created is not None and paid[0] < created[0]
            ):
                slow.append((line, row))
                continue
            if key is None:
                row_hash = imp.content_hash(imp.project(row))
                fast.append(
                    finish(
                        [
                            str(line),
                            null,
                            row_hash,
                            customer or null,
                            created[1] if created else null,
                            paid[1] if paid else null,
                            status or null,
                            channel,
                            total[1] if total else null,
                            shipping[1] if shipping else null,
                            order_discount[1] if order_discount else null,
                            logistics[1] if logistics else null,
                            region,
                            *self._line_cells(sku, quantity, price, discount),
                        ]
                    )
                )
                continue
            if sku is not None:
                lines.append(
                    (
                        key,
                        sku[0],
                        str(quantity),
                        price[1],
                        sku[1],
                        discount[1] if discount else "0.00",
                    )
                )
            order_cells = (
                key,
                row[i_cust],
                row[i_created],
                row[i_paid],
                row[i_status],
                row[i_channel],
                row[i_total],
                row[i_ship],
                row[i_region],
                row[i_od],
                row[i_lc],
            )
            if run is not None and key == run.key and order_cells == run.cells:
                # A line repeating its order's values (the usual export) stages them as
                # NULL: the order's first line has them, and the end aggregates non-NULLs.
                if sku is not None:
                    run.add(quantity, price, discount)
                fast.append(
                    finish(
                        [
                            str(line),
                            key,
                            *repeated,
                            *self._line_cells(sku, quantity, price, discount),
                        ]
                    )
                )
                continue
            keys.append(key)
            if run is not None:
                ended.append(run)
            if key in run_keys:
                multi.add(key)  # the order's lines are not consecutive
            run_keys.add(key)
            run = Run(
                key,
                order_cells,
                line,
                (
                    customer,
                    created,
                    paid,
                    status,
                    channel,
                    total,
                    shipping,
                    region,
                    order_discount,
                    logistics,
                ),
            )
            if sku is not None:
                run.add(quantity, price, discount)
            fast.append(
                finish(
                    [
                        str(line),
                        key,
                        null,
                        customer or null,
                        created[1] if created else null,
                        paid[1] if paid else null,
                        status or null,
                        channel,
                        total[1] if total else null,
                        shipping[1] if shipping else null,
                        order_discount[1] if order_discount else null,
                        logistics[1] if logistics else null,
                        region,
                        *self._line_cells(sku, quantity, price, discount),
                    ]
                )
            )
        self.run = run
        return fast, slow, lines, keys, ended
