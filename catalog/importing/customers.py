"""Customers: ``customer_id, name, email, phone, gender, birthday, city, registered_at,
channel, tags`` (+ optional ``region``, ``marketing_opt_in``); only ``customer_id`` is
required. Upserted by ``customer_id`` (the platform's id, ``Customer.external_id``).

* ``gender``: f/m/o/u, female/male/other/unknown, 女/男/其他/未知.
* ``channel``: the code (or name) of an existing channel (the acquisition channel).
* ``tags``: names separated by ``;`` or ``|``; missing tags are created. The customer's
  *imported* tag links become exactly this list; tags given by staff or computed by
  analytics are left alone.
* E-mail and phone cells that look masked (contain ``*``, as a masked export writes
  them) are refused, so that a masked export can never overwrite real data.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from catalog.importing.base import Cells, register
from catalog.importing.errors import FieldError
from catalog.importing.formats import GENERIC, generic_layout
from catalog.importing.lookups import channel_codes, channel_ids
from catalog.importing.parsing import (
    choice_spellings,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    text,
)
from catalog.importing.writers import KeyedImporter
from customers.models import Customer, CustomerTag, Tag

FIELDS = (
    "customer_id",
    "name",
    "email",
    "phone",
    "gender",
    "birthday",
    "city",
    "region",
    "registered_at",
    "channel",
    "tags",
    "marketing_opt_in",
)
GENDERS = choice_spellings(
    Customer.Gender,
    {"女": "f", "男": "m", "其他": "o", "未知": "u", "woman": "f", "man": "m", "x": "o"},
)


@register
class CustomersImporter(KeyedImporter):
    kind = "customers"
    model = Customer
    permission = "customers.add_customer"
    key_field = "customer_id"
    layouts = {GENERIC: generic_layout(FIELDS, required=("customer_id",))}

    def begin(self) -> None:
        super().begin()
        ids = channel_ids()
        codes = channel_codes()
        self.channel_code = {spelling: codes[pk] for spelling, pk in ids.items()}

    def parse(self, cells: Cells):
        key = self.cell(cells, "customer_id", _ident, required=True)
        values = {}
        for name, field, parse, default in (
            ("name", "name", _limited(200, "name"), ""),
            ("email", "email", _email, ""),
            ("phone", "phone", _phone, ""),
            ("gender", "gender", _gender, Customer.Gender.UNKNOWN),
            ("birthday", "birthday", _birthday, None),
            ("city", "city", _limited(100, "city"), ""),
            ("region", "region", _limited(100, "region"), ""),
            ("channel", "acquisition_channel", self._channel, ""),
            ("marketing_opt_in", "marketing_opt_in", parse_bool, True),
        ):
            if self.has(name):
                values[field] = self.cell(cells, name, parse, default=default)
        if self.has("registered_at"):
            registered = self.cell(cells, "registered_at", parse_datetime)
            if registered is not None:
                values["registered_at"] = registered
        if self.has("tags"):
            values["_tags"] = tuple(self.cell(cells, "tags", _tags, default=()))
        return None if cells.bad else (key, values)

    def fetch_existing(self, keys):
        return Customer.objects.in_bulk(keys, field_name="external_id")

    def build(self, key, values):
        customer = super().build(key, values)
        customer.external_id = key
        return customer

    def _channel(self, value) -> str:
        spelling = str(value).strip()
        code = self.channel_code.get(spelling) or self.channel_code.get(spelling.lower())
        if code is None:
            raise FieldError(f"unknown channel {spelling!r} (create it first)", "unknown_channel")
        return code

    def after_write(self, written) -> set:
        """Make each customer's imported tag links match the file's list."""
        wanted = {
            obj.pk: set(values["_tags"]) for _, values, obj, _ in written if "_tags" in values
        }
        if not wanted:
            return set()
        names = set().union(*wanted.values())
        tags = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        missing = [Tag(name=name, kind=Tag.Kind.MANUAL) for name in sorted(names - tags.keys())]
        for tag in Tag.objects.bulk_create(missing):
            tags[tag.name] = tag.pk
        links = CustomerTag.objects.filter(customer_id__in=wanted).select_related("tag")
        current: dict[int, dict[str, CustomerTag]] = {pk: {} for pk in wanted}
        for link in links:
            current[link.customer_id][link.tag.name] = link
        create, delete, changed = [], [], set()
        for pk, names_wanted in wanted.items():
            have = current[pk]
            for name in sorted(names_wanted - have.keys()):
                create.append(
                    CustomerTag(customer_id=pk, tag_id=tags[name], source=CustomerTag.Source.IMPORT)
                )
                changed.add(pk)
            for name, link in have.items():
                if name not in names_wanted and link.source == CustomerTag.Source.IMPORT:
                    delete.append(link.pk)
                    changed.add(pk)
        CustomerTag.objects.bulk_create(create)
        CustomerTag.objects.filter(pk__in=delete).delete()
        return {key for key, _, obj, _ in written if obj.pk in changed}


def _ident(value) -> str:
    result = text(value, limit=64, what="customer_id")
    if not result:
        raise FieldError("customer_id is blank", "required")
    return result


def _limited(limit: int, what: str):
    return lambda value: text(value, limit=limit, what=what)


def _email(value) -> str:
    email = text(value, limit=254, what="email")
    if "*" in email:
        raise FieldError(f"{email!r} looks masked; import an unmasked export", "masked")
    try:
        validate_email(email)
    except ValidationError:
        raise FieldError(f"{email!r} is not an e-mail address", "invalid_value") from None
    return email


def _phone(value) -> str:
    phone = text(value, limit=32, what="phone")
    if "*" in phone:
        raise FieldError(f"{phone!r} looks masked; import an unmasked export", "masked")
    return phone


def _gender(value) -> str:
    return parse_choice(str(value), GENDERS, "gender")


def _birthday(value) -> date:
    if isinstance(value, str) and "*" in value:
        raise FieldError(f"{value!r} looks masked; import an unmasked export", "masked")
    birthday = parse_date(value)
    if birthday > date.today():
        raise FieldError(f"birthday {birthday} is in the future", "invalid_value")
    return birthday


def _tags(value) -> list[str]:
    names = []
    for part in str(value).replace("|", ";").replace("；", ";").split(";"):
        name = text(part, limit=64, what="a tag")
        if name and name not in names:
            names.append(name)
    return names
