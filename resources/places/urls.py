"""Places (阵地) pages, namespace "places" (included from retiree_party/urls.py)."""

from django.urls import path

from . import views

app_name = "places"

urlpatterns = [
    path("places/", views.overview, name="overview"),
    path("places/bookings/", views.bookings, name="bookings"),
    path("places/venues/<int:pk>/", views.venue_week, name="venue_week"),
    path("places/venues/<int:pk>/book/", views.booking_create, name="booking_create"),
    path("places/meetings/<int:pk>/book/", views.book_for_meeting, name="book_for_meeting"),
    path("places/bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("places/bookings/<int:pk>/decide/", views.booking_decide, name="booking_decide"),
    path("places/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
]
