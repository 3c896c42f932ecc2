"""PostgreSQL's pooled connections: a connection returned a moment ago is handed out without a round trip to
check it; one that sat idle is checked, and one the server dropped meanwhile is replaced, not handed out."""
import pytest
from medoffice.db import open_database


@pytest.fixture
def pool(medoffice_database_url, tmp_path):
    if medoffice_database_url is None:
        pytest.skip("PostgreSQL's connection pool (SQLite opens a file)")
    database = open_database(medoffice_database_url, tmp_path)
    yield database
    database.close_all()


def _pings(pool, monkeypatch) -> list[str]:
    sent = []
    real = pool._adapter.__class__

    class Watched(real):
        def is_connection_closed(self, conn):
            sent.append("ping")
            return super().is_connection_closed(conn)

    monkeypatch.setattr(pool, "_adapter", Watched())
    return sent


def test_a_connection_back_a_moment_ago_is_reused_without_a_ping(pool, monkeypatch):
    pings = _pings(pool, monkeypatch)
    for _ in range(3):  # three requests in a row
        pool.connect()
        assert pool.execute_sql("SELECT 1").fetchone() == (1,)
        pool.close()
    assert pings == []


def test_an_idle_connection_is_checked_and_a_dropped_one_replaced(pool, monkeypatch, medoffice_database_url,
                                                                  tmp_path):
    pool.connect()
    first = pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    pool.close()
    pings = _pings(pool, monkeypatch)
    monkeypatch.setattr(pool, "PING_AFTER_IDLE", 0.0)  # it has sat idle
    other = open_database(medoffice_database_url, tmp_path)
    other.execute_sql("SELECT pg_terminate_backend(%s)", (first,))  # the server restarted, say
    other.close_all()
    pool.connect()
    assert pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0] != first
    pool.close()
    assert pings == ["ping"]
