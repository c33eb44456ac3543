"""The health check tells a load balancer whether the database answers."""

from helpcenter import create_app


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "DATA_DIR": str(tmp_path)}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
