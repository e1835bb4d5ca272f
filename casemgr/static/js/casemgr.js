// casemgr's small enhancements; every page works without them (no inline script: the CSP
// forbids it).
// 1. Long operations: a form marked data-busy="message" shows a spinner on its submit button
//    and the message in its [data-busy-status] live region when submitted, and ignores a
//    second submission while the first is on its way.
// 2. A form's error summary (#form-errors) takes the focus, so it is read first.
// 3. Printing opens every <details>, so printed tables are complete, and closes them after.
(function () {
  "use strict";

  function markBusy(form, button) {
    form.setAttribute("aria-busy", "true");
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("is-busy");
      var spinner = document.createElement("span");
      spinner.className = "spinner-border spinner-border-sm me-2 busy-spinner";
      spinner.setAttribute("aria-hidden", "true");
      button.insertBefore(spinner, button.firstChild);
    }
    var status = form.querySelector("[data-busy-status]");
    if (status) {
      status.textContent = form.getAttribute("data-busy");
    }
  }

  function clearBusy() {
    document.querySelectorAll("form[aria-busy='true']").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll(".busy-spinner").forEach(function (spinner) { spinner.remove(); });
      form.querySelectorAll(".is-busy").forEach(function (button) {
        button.classList.remove("is-busy");
        button.removeAttribute("aria-disabled");
      });
      form.querySelectorAll("[data-busy-status]").forEach(function (status) {
        status.textContent = "";
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-busy")) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    markBusy(form, event.submitter || form.querySelector("[type='submit']"));
  });

  // Coming back with the Back button shows the page as it was left: not busy any more.
  window.addEventListener("pageshow", clearBusy);

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("form-errors");
    if (summary) {
      summary.focus();
    }
  });

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.setAttribute("data-opened-for-print", "");
      details.open = true;
    });
  });

  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-opened-for-print]").forEach(function (details) {
      details.removeAttribute("data-opened-for-print");
      details.open = false;
    });
  });
}());
