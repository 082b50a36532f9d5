"""The create-campaign wizard's form: audience, offer, holdout, schedule, channel, message."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from analytics.models import Segment
from campaigns.messages import PLACEHOLDERS, unknown_placeholders
from campaigns.models import Campaign, CouponTemplate, Experiment
from customers.models import CommunityGroup, MembershipTier

AK = Campaign.AudienceKind


class When:
    DRAFT = "draft"
    NOW = "now"
    AT = "at"
    CHOICES = [
        (DRAFT, _("Keep as a draft (launch later from the campaign page)")),
        (NOW, _("Send now")),
        (AT, _("Send at a time")),
    ]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    goal = forms.ChoiceField(label=_("Goal"), choices=Campaign.Goal.choices)
    audience_kind = forms.ChoiceField(
        label=_("Send to"), choices=AK.choices, widget=forms.RadioSelect, initial=AK.SEGMENT
    )
    audience_segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.filter(kind=Segment.Kind.DYNAMIC).order_by("name"),
        required=False,
        empty_label=_("Choose a segment"),
    )
    audience_list = forms.ModelChoiceField(
        label=_("Uploaded list"),
        queryset=Segment.objects.filter(kind=Segment.Kind.STATIC).order_by("name"),
        required=False,
        empty_label=_("Choose an uploaded list"),
    )
    audience_group = forms.ModelChoiceField(
        label=_("Community group"),
        queryset=CommunityGroup.objects.order_by("name"),
        required=False,
        empty_label=_("Choose a group"),
    )
    audience_tier = forms.ModelChoiceField(
        label=_("Membership tier"),
        queryset=MembershipTier.objects.order_by("rank"),
        required=False,
        empty_label=_("Choose a tier"),
    )
    coupon_template = forms.ModelChoiceField(
        label=_("Offer (coupon template)"),
        queryset=CouponTemplate.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label=_("No coupon: message only"),
    )
    experiment = forms.ModelChoiceField(
        label=_("A/B test (optional)"),
        queryset=Experiment.objects.filter(status=Experiment.Status.DRAFT).order_by("name"),
        required=False,
        empty_label=_("No A/B test"),
        help_text=_("Its variants share the non-holdout audience and override offer and message."),
    )
    holdout_percent = forms.DecimalField(
        label=_("Holdout %"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        initial=Decimal("10"),
        help_text=_("A random control group that gets nothing, so the uplift can be measured."),
    )
    attribution_days = forms.IntegerField(
        label=_("Attribution window (days)"), min_value=1, max_value=365, initial=14
    )
    cost_per_contact = forms.DecimalField(
        label=_("Cost per contact"), min_value=Decimal("0"), decimal_places=4, initial=Decimal("0")
    )
    contact_channel = forms.ChoiceField(label=_("Channel"), choices=Campaign.ContactChannel.choices)
    message = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea({"rows": 4, "cols": 70}),
        help_text=format_lazy(  # translated when shown, not at import
            "{} {}", _("Placeholders:"), ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
        ),
    )
    when = forms.ChoiceField(
        label=_("When"), choices=When.CHOICES, widget=forms.RadioSelect, initial=When.DRAFT
    )
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    TARGET_FIELDS = {
        AK.SEGMENT: "audience_segment",
        AK.LIST: "audience_list",
        AK.GROUP: "audience_group",
        AK.TIER: "audience_tier",
    }

    def __init__(self, *args, can_launch: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_launch = can_launch

    def clean_message(self) -> str:
        text = self.cleaned_data["message"]
        unknown = unknown_placeholders(text)
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholder %(names)s: use only those listed below.")
                % {"names": ", ".join(f"{{{{ {name} }}}}" for name in unknown)}
            )
        return text

    def clean(self):
        data = super().clean()
        kind = data.get("audience_kind")
        target = self.TARGET_FIELDS.get(kind)
        if target and not data.get(target):
            self.add_error(target, _("Choose who receives the campaign."))
        if (
            "message" in data
            and not data.get("coupon_template")
            and not data.get("message", "").strip()
        ):
            self.add_error("message", _("Give the campaign an offer or a message (or both)."))
        when = data.get("when")
        if when == When.AT:
            at = data.get("scheduled_at")
            if at is None:
                self.add_error("scheduled_at", _("Give the date and time to send at."))
            elif at <= timezone.now():
                self.add_error("scheduled_at", _("The time to send at must be in the future."))
        if when in (When.NOW, When.AT) and not self.can_launch:
            self.add_error("when", _("You may create campaigns but not launch them."))
        return data

    def campaign_fields(self) -> dict:
        """The model fields of the campaign the form describes (for ``campaign_create``)."""
        data = self.cleaned_data
        kind = data["audience_kind"]
        target = data.get(self.TARGET_FIELDS[kind])
        return {
            "name": data["name"],
            "goal": data["goal"],
            "audience_kind": kind,
            "audience_segment": target if kind in (AK.SEGMENT, AK.LIST) else None,
            "audience_group": target if kind == AK.GROUP else None,
            "audience_tier": target if kind == AK.TIER else None,
            "coupon_template": data.get("coupon_template"),
            "experiment": data.get("experiment"),
            "holdout_percent": data["holdout_percent"],
            "attribution_days": data["attribution_days"],
            "cost_per_contact": data["cost_per_contact"],
            "contact_channel": data["contact_channel"],
            "message": data.get("message", ""),
        }

    def draft_campaign(self) -> Campaign | None:
        """An unsaved campaign from the parts of the form that are valid (for the estimates
        and the preview), or None without an audience."""
        data = getattr(self, "cleaned_data", {})
        kind = data.get("audience_kind")
        target = data.get(self.TARGET_FIELDS.get(kind, ""))
        if target is None:
            return None
        fields = {
            "audience_kind": kind,
            "audience_segment": target if kind in (AK.SEGMENT, AK.LIST) else None,
            "audience_group": target if kind == AK.GROUP else None,
            "audience_tier": target if kind == AK.TIER else None,
            "coupon_template": data.get("coupon_template"),
            "experiment": data.get("experiment"),
            "holdout_percent": data.get("holdout_percent")
            if data.get("holdout_percent") is not None
            else Decimal("10"),
            "message": data.get("message", ""),
        }
        return Campaign(**fields)
