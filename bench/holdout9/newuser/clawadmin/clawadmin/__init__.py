"""A small Flask admin page over an OpenClaw gateway.

    flask --app clawadmin run --port 8030

Settings come from the environment (``CLAWADMIN_*``); the audit database of
what operators did through the page lives in the instance folder.
"""

from __future__ import annotations

import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("CLAWADMIN_SECRET", "dev"),
        GATEWAY_URL=os.environ.get("CLAWADMIN_GATEWAY_URL", "http://127.0.0.1:18789"),
        GATEWAY_TOKEN=os.environ.get("CLAWADMIN_GATEWAY_TOKEN", ""),
        AUDIT_DB=os.path.join(app.instance_path, "audit.sqlite"),
        STUCK_AFTER_MIN=int(os.environ.get("CLAWADMIN_STUCK_AFTER_MIN", "45")),
    )
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from . import audit, views

    audit.init_app(app)
    app.register_blueprint(views.bp)
    return app
