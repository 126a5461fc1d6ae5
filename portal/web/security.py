"""Security headers on every response, and the Vary an htmx page needs."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        # A page and its htmx fragment share a URL: a cache must key on both headers, on
        # both variants (a history restore is an htmx request that wants the full page).
        response.vary.add("HX-Request")
        response.vary.add("HX-History-Restore-Request")
    return response
