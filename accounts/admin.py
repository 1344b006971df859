from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, (None, {"fields": ("full_name", "phone", "large_mode")}))
    list_display = ("username", "full_name", "is_active", "last_login")
    search_fields = ("username", "full_name")
