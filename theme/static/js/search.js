/* Start Pagefind's search UI on the search page.
   A file rather than an inline script: the Content-Security-Policy allows
   scripts from the site only. A ?q= query (the WebSite SearchAction in the
   home page's JSON-LD points here) runs straight away. */
(function () {
  "use strict";

  // Pagefind's field has only a placeholder; give it a visible label. The
  // label is made here, not in the page, because it must point at the field.
  function labelField(container) {
    var field = container.querySelector("input.pagefind-ui__search-input");
    if (!field || field.id) {
      return;
    }
    field.id = "search-field";
    var label = document.createElement("label");
    label.htmlFor = field.id;
    label.className = "search__label";
    label.textContent = container.dataset.label || "Search";
    container.insertBefore(label, container.firstChild);
  }

  function start() {
    var container = document.getElementById("search");
    if (!container || typeof window.PagefindUI !== "function") {
      return;
    }
    var ui = new window.PagefindUI({
      element: "#search",
      showSubResults: false,
      showImages: true,
      translations: { placeholder: container.dataset.placeholder || "Search" }
    });
    labelField(container);
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      ui.triggerSearch(query);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
