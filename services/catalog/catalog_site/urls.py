"""Routes relative to the service's path (/catalog): the runtime mounts the app there."""

from __future__ import annotations

from django.urls import path

from catalog_site import views

urlpatterns = [
    path("", views.index),
    path("products", views.product_list),
    path("products/<slug:slug>", views.product_detail),
]

handler404 = "catalog_site.views.not_found"
