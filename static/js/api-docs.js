// Starts Swagger UI on the API documentation page (a file, not inline: the page's CSP
// allows scripts from the portal only).
window.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("api-docs");
  window.SwaggerUIBundle({
    url: holder.dataset.specUrl,
    domNode: holder,
    deepLinking: true,
    validatorUrl: null, // no call to an outside validator
    persistAuthorization: false,
  });
});
