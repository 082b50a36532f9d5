"""Forms shared by the analytics admin and pages."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.services.run import STEPS

RUN_PERMISSION = "analytics.run_analytics"


class RecomputeForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    steps = forms.MultipleChoiceField(
        label=_("Steps"),
        choices=[(name, name) for name in STEPS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every step."),
    )
