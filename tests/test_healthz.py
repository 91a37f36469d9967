import json


def test_it_reports_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_rejects_writes(client, db):
    assert client.post("/healthz").status_code == 405
