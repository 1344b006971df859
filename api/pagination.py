"""Page-number pagination with a bounded page size; every list view orders by a unique
key, so pages are stable."""

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
