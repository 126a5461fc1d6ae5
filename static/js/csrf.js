// Every htmx request carries the page's CSRF token (Flask-WTF reads X-CSRFToken). A
// listener rather than an inherited hx-headers attribute on <body>: the attribute's
// htmx 4 form (hx-headers:inherited) is not valid HTML.
document.addEventListener("htmx:config:request", function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) {
    event.detail.ctx.request.headers["X-CSRFToken"] = token.content;
  }
});
