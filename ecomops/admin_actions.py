"""Admin actions that call services, and the audit of admin saves.

:func:`form_action` turns a function ``(modeladmin, request, queryset, data) -> message``
into an admin action with an intermediate page: it lists what was selected, asks for the
form's fields (a segment, a reason, an amount...) or — for a destructive action with no
fields — simply for confirmation, then calls the function and reports the rows changed.
Refusals the services raise (``ServiceError``, and ``ValueError``) are shown as messages;
nothing is half done, because each service runs in its own transaction.

:class:`AuditedAdmin` records every save and delete made through the admin in the audit
trail, with the changed fields before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from customers.audit import audit_record, changed, snapshot
from customers.errors import ServiceError

PREVIEW_ROWS = 20


class ConfirmForm(forms.Form):
    """No fields: the intermediate page is the confirmation."""


def form_action(
    *,
    description: str,
    form_class: type[forms.Form] = ConfirmForm,
    permissions: tuple[str, ...] = ("change",),
    explanation: str = "",
    destructive: bool = False,
    submit_label: str | None = None,
    errors: tuple[type[Exception], ...] = (ValueError, ServiceError),
):
    def decorator(apply: Callable):
        @admin.action(description=description, permissions=permissions)
        @wraps(apply)
        def action(modeladmin, request, queryset):
            form = form_class(request.POST if "apply" in request.POST else None)
            if "apply" in request.POST and form.is_valid():
                try:
                    message = apply(modeladmin, request, queryset, form.cleaned_data)
                except errors as error:
                    text = getattr(error, "message", None) or str(error)
                    modeladmin.message_user(request, text, messages.ERROR)
                    return None
                modeladmin.message_user(request, message, messages.SUCCESS)
                return None
            opts = modeladmin.model._meta
            return TemplateResponse(
                request,
                "admin/action_form.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": description,
                    "opts": opts,
                    "form": form,
                    "explanation": explanation,
                    "count": queryset.count(),
                    "preview": list(queryset[:PREVIEW_ROWS]),
                    "name": opts.verbose_name,
                    "name_plural": opts.verbose_name_plural,
                    "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                    "select_across": request.POST.get("select_across") == "1",
                    "action": apply.__name__,
                    "destructive": destructive,
                    "submit_label": submit_label
                    or (_("Yes, I'm sure") if destructive else _("Apply")),
                },
            )

        return action

    return decorator


class AuditedAdmin(admin.ModelAdmin):
    """Record the admin's saves and deletes (who, what, when, before and after)."""

    def save_model(self, request, obj, form, change):
        before = {}
        if change and obj.pk:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(stored) if stored else {}
        super().save_model(request, obj, form, change)
        after = snapshot(obj)
        if change:
            before, after = changed(before, after)
            if not after:
                return
        audit_record(
            "change" if change else "add", obj, by=request.user, before=before, after=after
        )

    def delete_model(self, request, obj):
        audit_record("delete", obj, by=request.user, before=snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record("delete", obj, by=request.user, before=snapshot(obj))
        super().delete_queryset(request, queryset)
