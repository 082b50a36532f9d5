"""Pure metric functions of DESIGN §3: pandas/numpy in, pandas/numpy out, no Django.

Customer side:

- ``rfm`` — recency/frequency/monetary table, quintile and fixed-threshold scores, the
  8-class (重要价值 …) and 11-segment labels with their recommended actions.
- ``lifecycle`` — lifecycle stage per customer, win-back rate, churn rate, stage transitions;
  also ``order_days``, the common "paid orders of known customers up to as_of" step.
- ``repurchase`` — repurchase rate, 30-day repurchase rate of a first-purchase cohort,
  repurchase interval.
- ``cohorts`` — retention (customers and revenue) by month of first paid order.
- ``clv`` — BG/NBD and Gamma-Gamma fitted by maximum likelihood; p_alive, predicted
  purchases and value.
- ``stats`` — two-proportion z-test, Welch's t-test, sample-ratio mismatch, sample size
  and power, for experiment and campaign reports.

Product and traffic side: ``funnel``, ``activity``, ``products``, ``basket``, ``channels``,
``profit``, ``inventory``, ``forecast``, ``recommend``; and ``tags`` (computed tags).

Conventions shared by every module (the loaders in ``analytics.loaders`` produce them):

- Frames hold paid orders only (status paid, shipped or completed); rows whose
  ``customer_id`` is missing (guest orders) are ignored by customer metrics.
- Timestamps are naive datetimes in the shop's local time zone (the loaders convert from
  UTC to ``TIME_ZONE``); ``as_of`` is a local ``datetime.date``. Rows after the end of
  ``as_of`` are ignored, and an order on ``as_of`` itself counts.
- "Days between" are differences of local calendar dates: an order at 23:59 yesterday is
  1 day before ``as_of``, whatever the hours.
- A window of ``window_days`` days ending at ``as_of`` covers the local dates
  ``as_of - window_days + 1`` … ``as_of`` inclusive: with 365 days, an order exactly 365
  days before ``as_of`` is out, one 364 days before is in.
- Money arrives as float64 (the loaders cast Decimal to float); functions return floats and
  the writers round to ``Decimal``.
- Thresholds are keyword arguments with the DESIGN defaults; the settings layer passes them.

Import the submodules directly (``from analytics.metrics.rfm import rfm_table``): this
package imports none of them, so loading one never pulls in scipy for the others.
"""
