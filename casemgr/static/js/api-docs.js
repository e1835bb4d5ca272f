// Starts the vendored Swagger UI on /api/v1/docs (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false
  });
}());
