// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // "/" focuses the customer search, Escape closes the suggestions.
  document.addEventListener("keydown", function (event) {
    var search = document.querySelector("[data-hotkey='/']");
    var tag = (event.target && event.target.tagName) || "";
    if (event.key === "/" && search && !/INPUT|TEXTAREA|SELECT/.test(tag)) {
      event.preventDefault();
      search.focus();
      search.select();
    }
    if (event.key === "Escape") {
      document.querySelectorAll(".search-popup").forEach(function (el) { el.innerHTML = ""; });
    }
  });
  // Arrow keys move through search suggestions.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var popup = document.getElementById("global-results");
    if (!popup || !popup.contains(document.activeElement) && document.activeElement.id !== "global-q") return;
    var links = Array.prototype.slice.call(popup.querySelectorAll("a"));
    if (!links.length) return;
    event.preventDefault();
    var index = links.indexOf(document.activeElement);
    index = event.key === "ArrowDown" ? Math.min(index + 1, links.length - 1) : index - 1;
    if (index < 0) { document.getElementById("global-q").focus(); } else { links[index].focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".global-search")) {
      document.querySelectorAll(".search-popup").forEach(function (el) { el.innerHTML = ""; });
    }
  });
})();
