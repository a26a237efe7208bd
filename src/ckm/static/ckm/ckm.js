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
  // "Insert in reply" puts the article's answer at the reply's caret once the agent has been in
  // the box (else at the end), and the caret after it. The server counts characters (code
  // points), JavaScript UTF-16 units: hence Array.from.
  document.addEventListener("focusin", function (event) {
    if (event.target.id === "id_reply_body") event.target.dataset.caretKnown = "1";
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var box = document.getElementById("id_reply_body");
    if (!elt.hasAttribute("data-insert-answer") || !box || !box.dataset.caretKnown) return;
    event.detail.parameters.at = Array.from(box.value.slice(0, box.selectionStart)).length;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var box = document.querySelector("#id_reply_body[data-caret]");
    if (!box) return;
    var caret = Array.from(box.value).slice(0, Number(box.dataset.caret)).join("").length;
    box.removeAttribute("data-caret");
    box.focus();
    box.setSelectionRange(caret, caret);
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".global-search")) {
      document.querySelectorAll(".search-popup").forEach(function (el) { el.innerHTML = ""; });
    }
  });
})();
