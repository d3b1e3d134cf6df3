"""Open-data ecosystem: the CKAN-compatible Action API, the DCAT-AP export and harvesting (目录级联)
from CKAN and DCAT catalogs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav, register_slot

    from .applicants import applicant_for_request, applicant_problem
    from .ckan_api import bp as ckan_bp
    from .dcat_views import bp as dcat_bp
    from .harvest.records import harvest_origin
    from .harvest.schedule import register_job
    from .views import bp as views_bp

    app.register_blueprint(ckan_bp)
    app.register_blueprint(dcat_bp)
    app.register_blueprint(views_bp)
    register_job()
    register_nav(
        app,
        NavItem("opendata.harvest_sources", _l("目录级联"), place="user", roles=("operator",), order=75),
        NavItem("opendata.applicant_queue", _l("企业身份核验"), place="user", roles=("operator",), order=76),
        NavItem("opendata.applicant_identity", _l("申请身份"), place="user", roles=("public",), order=15),
        # public applicants' grants live on the delivery package's page
        NavItem("delivery.my_grants", _l("我的授权"), place="user", roles=("public",), order=35),
    )
    register_slot(app, "request.after", "opendata/_applicant_panel.html", order=50)
    register_slot(app, "dataset.aside", "opendata/_apply_hint.html", order=15)
    app.jinja_env.globals["public_applicant"] = applicant_for_request
    app.jinja_env.globals["public_applicant_problem"] = applicant_problem
    # the product page shows where a harvested entry comes from (templates/opendata/_source.html)
    app.jinja_env.globals["harvest_origin"] = harvest_origin
