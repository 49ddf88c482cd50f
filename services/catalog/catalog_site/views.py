"""Two read-only views over a fixed product list."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

PRODUCTS = {
    "kayak": {"slug": "kayak", "name": "Kayak", "price_cents": 49900, "tags": ["water", "boat"]},
    "paddle": {"slug": "paddle", "name": "Paddle", "price_cents": 3900, "tags": ["water"]},
    "tent": {"slug": "tent", "name": "Tent", "price_cents": 19900, "tags": ["camp"]},
}


@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """What the service offers, so `curl <alb>/catalog/` answers something useful."""
    return JsonResponse({"service": "catalog", "products": request.build_absolute_uri("products")})


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Django's 404, in the error shape every flotilla service uses."""
    return JsonResponse({"error": {"status": 404, "message": "not found"}}, status=404)


@require_GET
def product_list(request: HttpRequest) -> JsonResponse:
    """?tag=water&tag=camp matches products with any listed tag."""
    tags = set(request.GET.getlist("tag"))
    items = [p for p in PRODUCTS.values() if not tags or tags & set(p["tags"])]
    return JsonResponse({"products": items, "count": len(items)})


@require_GET
def product_detail(request: HttpRequest, slug: str) -> JsonResponse:
    product = PRODUCTS.get(slug)
    if product is None:
        raise Http404(f"no product {slug}")
    return JsonResponse(product)
