"""Leave policies: core's CRUD pages (every change audited by core)."""
from __future__ import annotations

from flask import url_for
from medoffice.web.crud import CrudPages
from medoffice.web.tables import TableColumn

from .. import rules, time_rules
from ..time_models import LEAVE, LeavePolicy
from . import bp
from .time_forms import PolicyForm

POLICIES = CrudPages(bp, LeavePolicy, PolicyForm, name="leave_policy", noun="leave policy",
                     noun_plural="leave policies", view_permission="hr.leave.manage",
                     edit_permission="hr.leave.manage",
                     columns=[TableColumn("name", "Name", sort=LeavePolicy.name,
                                          link=lambda p: url_for("hr.leave_policy_detail", record_id=p.id)),
                              TableColumn("accrual_method", "Earned",
                                          value=lambda p: rules.label(time_rules.ACCRUAL_METHODS, p.accrual_method)),
                              TableColumn("cap", "Cap (hours)",
                                          value=lambda p: time_rules.hours_text(p.cap_minutes) if p.cap_minutes else "None"),
                              TableColumn("active", "Active", kind="boolean")],
                     default_sort="name", search=lambda text: LeavePolicy.name ** f"%{text}%", title_of=lambda p: p.name,
                     kept_by=LEAVE.key)
POLICIES.register()
