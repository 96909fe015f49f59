// The workbench's own behaviour. No inline handlers (the CSP refuses them and htmx's
// allowEval is off): everything is wired here through htmx events.
(function () {
  "use strict";
  function flash(text) {
    var box = document.getElementById("wb-flash");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
  }
  // A 403 after signing in again in another tab (stale CSRF token) or any other refused
  // request: htmx does not swap it, so say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function () {
    flash(document.body.getAttribute("data-reload-text") || "Reload the page");
  });
  document.addEventListener("htmx:sendError", function () {
    flash(document.body.getAttribute("data-reload-text") || "Reload the page");
  });
  // The stream could not replay what a reconnecting page missed: fetch the list again.
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail && event.detail.type === "queue" && window.htmx) {
      window.htmx.ajax("GET", window.location.href, { target: "#queue-results", swap: "outerHTML" });
    }
  });
  // Keyboard paging in lists: "j"/"k" or the arrow keys with Alt follow the next/previous
  // links of the list the focus is in (or the page's only one).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) { return; }
    var rel = null;
    if (event.key === "]" || (event.altKey && event.key === "ArrowRight")) { rel = "next"; }
    if (event.key === "[" || (event.altKey && event.key === "ArrowLeft")) { rel = "prev"; }
    if (!rel) { return; }
    var link = document.querySelector("a[data-page='" + rel + "']");
    if (link) { event.preventDefault(); link.click(); }
  });
})();
