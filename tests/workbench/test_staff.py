from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_smoke(cast, client_for):
    for key in ["unit_liaison", "system_admin", "security_admin", "auditor", "street_staff", "city_admin"]:
        client = client_for(key)
        r = client.get("/")
        assert r.status_code == 200
        with CaptureQueriesContext(connection) as q:
            r = client.get("/")
        print(key, len(q))
        open(f"/tmp/h5/{key}.html", "w").write(r.content.decode())
