"""Verdicts and arm names in the user's language.

``campaigns.verdicts`` words its verdicts in English for logs, the admin and the API; the
pages say the same thing from the verdict's fields, through gettext.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.assignment import CONTROL, TREATMENT
from campaigns.verdicts import Verdict

ARM_NAMES = {
    CONTROL: gettext_lazy("holdout (control)"),
    TREATMENT: gettext_lazy("campaign (treatment)"),
    # the names campaign_report gives the two sides of its verdict
    "the holdout": gettext_lazy("the holdout"),
    "the campaign": gettext_lazy("the campaign"),
}


def arm_label(name: str) -> str:
    return str(ARM_NAMES.get(name, name))


@dataclass(frozen=True)
class Words:
    text: str
    tone: str  # badge class: good, bad, warn or "" (neutral)


def verdict_words(
    verdict: Verdict | None, *, metric: str = "conversion", baseline: str | None = None
) -> Words:
    """What a person should conclude, in plain words. ``baseline`` is the arm others are
    compared with (a win of the baseline is bad news for the change tested)."""
    if verdict is None:
        return Words(_("No verdict yet: it needs customers in both arms."), "")
    if verdict.sample_ratio_mismatch:
        return Words(
            _(
                "The split is broken (sample-ratio mismatch): the arms do not have the sizes "
                "the allocation asks for. Check the assignment before reading any result."
            ),
            "bad",
        )
    confidence = f"{verdict.confidence:.0%}"
    if verdict.winner:
        winner = arm_label(verdict.winner)
        if metric == "revenue_per_user":
            text = _("%(winner)s earns more per customer (%(confidence)s confidence).")
        else:
            text = _("%(winner)s converts better (%(confidence)s confidence).")
        tone = "bad" if verdict.winner in (baseline, "the holdout") else "good"
        return Words(text % {"winner": winner, "confidence": confidence}, tone)
    if verdict.more_customers_needed:
        return Words(
            _("Not enough data yet: about %(n)s more customers are needed to tell.")
            % {"n": f"{verdict.more_customers_needed:,}"},
            "warn",
        )
    if metric == "revenue_per_user":
        return Words(_("No clear difference in revenue per customer."), "")
    if verdict.more_customers_needed == 0:
        return Words(_("No clear difference in conversion."), "")
    return Words(_("No difference in conversion so far."), "")
