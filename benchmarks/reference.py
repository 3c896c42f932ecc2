"""The reference list page (issue 11, goal 2): a list page with nothing of medoffice in it.

A bare Flask app whose one route reads 50 patients (by name, on its index) and how many there are
(counted as far as medoffice's lists count: "1,000+") with the database driver itself (``sqlite3``,
or ``psycopg`` on PostgreSQL), no ORM, and renders them as a table in a simple layout (one Jinja
template). No login, no session, no audit: what a list page costs at the least.
Each thread keeps its own connection, as medoffice's pool does.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from flask import Flask

PAGE = ("SELECT id, last_name, first_name, account_number, date_of_birth, COALESCE(NULLIF(mobile, ''), phone) "
        "FROM core_patient WHERE active = {true} ORDER BY last_name, first_name, id LIMIT 50")
# Counted as medoffice's lists count ("1,000+ patients"): a full count of 50,000 rows would make the
# reference page slow, and a slow floor hides cost.
COUNT = "SELECT COUNT(*) FROM (SELECT 1 FROM core_patient WHERE active = {true} LIMIT 1001) AS shown"
LAYOUT = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Patients</title>
<style>body{font-family:sans-serif;margin:0}header{background:#234;color:#fff;padding:.5rem 1rem}
header a{color:#fff;margin-right:1rem}main{padding:1rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ccc;padding:.25rem .5rem;text-align:left}</style></head>
<body>
<header><nav><a href="/">Today</a><a href="/patients">Patients</a><a href="/reports">Reports</a></nav></header>
<main>
<h1>Patients</h1>
<p>{{ "1,000+" if total > 1000 else total }} patients</p>
<table>
<thead><tr><th>Name</th><th>Account</th><th>Date of birth</th><th>Phone</th></tr></thead>
<tbody>
{% for id, last, first, account, born, phone in rows %}
<tr><td><a href="/patients/{{ id }}">{{ last }}, {{ first }}</a></td><td>{{ account }}</td><td>{{ born }}</td><td>{{ phone }}</td></tr>
{% endfor %}
</tbody>
</table>
</main>
</body>
</html>"""


class Connections:
    """One driver connection per thread, to SQLite (a file path) or PostgreSQL (a URL)."""

    def __init__(self, database: str):
        self.database = database
        self.postgres = database.startswith(("postgres://", "postgresql://"))
        self.local = threading.local()
        self.opened: list = []
        self.lock = threading.Lock()

    def get(self):
        """This thread's connection (opened on first use)."""
        conn = getattr(self.local, "conn", None)
        if conn is None:
            if self.postgres:
                import psycopg

                conn = psycopg.connect(self.database, autocommit=True)
            else:
                conn = sqlite3.connect(self.database, check_same_thread=False)
            self.local.conn = conn
            with self.lock:
                self.opened.append(conn)
        return conn

    def close_all(self) -> None:
        """Close every connection (before the process forks: no connection may cross a fork)."""
        with self.lock:
            for conn in self.opened:
                conn.close()
            self.opened.clear()
        self.local = threading.local()


def reference_app(database: str | Path) -> Flask:
    """The reference list page at ``/`` for a database (a SQLite file or a PostgreSQL URL)."""
    connections = Connections(str(database))
    true = "TRUE" if connections.postgres else "1"
    page, count = PAGE.format(true=true), COUNT.format(true=true)
    app = Flask("reference")
    template = app.jinja_env.from_string(LAYOUT)  # compiled once, as Flask caches a template file

    @app.route("/")
    def patients():
        conn = connections.get()
        rows = conn.execute(page).fetchall()
        total = conn.execute(count).fetchone()[0]
        return template.render(rows=rows, total=total)

    app.extensions["reference_connections"] = connections
    return app
