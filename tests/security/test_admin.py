from django.urls import reverse


def test_the_django_admin_is_closed_to_portal_roles(cast, client):
    """No portal role makes an account Django-admin staff; the admin sends them to its login."""
    url = reverse("admin:index")
    for key in cast.users:
        client.force_login(cast.user(key))
        response = client.get(url)
        assert response.status_code == 302, key
        assert response["Location"].startswith(reverse("admin:login"))
