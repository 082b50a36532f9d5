"""Server-rendered pages of the campaigns app.

They live here rather than in analytics because they read both sides of the loop
(DESIGN §1: only campaigns may import analytics and campaigns alike): the KPI cockpit
with campaign ROI, campaigns and experiments, community groups and the customer 360.
"""
