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

  // The search index comes in parts (newsroom/build/search_parts.py):
  // pagefind/ is the first, pagefind/parts.json names the others, which the
  // UI merges into every search.
  function bundleFolder() {
    var scripts = document.getElementsByTagName("script");
    for (var i = 0; i < scripts.length; i++) {
      var source = scripts[i].src || "";
      if (/\/pagefind-ui\.js(\?|#|$)/.test(source)) {
        return source.replace(/pagefind-ui\.js([?#].*)?$/, "");
      }
    }
    return null;
  }

  function otherParts(folder) {
    if (!folder || typeof window.fetch !== "function") {
      return Promise.resolve([]);
    }
    // Asked of the server each time (a cached list could name a part a
    // later build removed), and not waited for long: without it, search
    // still covers the first part.
    var asked = window.fetch(folder + "parts.json", {
      credentials: "same-origin",
      cache: "no-cache"
    }).then(function (response) {
      return response.ok ? response.json() : [];
    });
    var late = new Promise(function (resolve) {
      window.setTimeout(function () {
        resolve([]);
      }, 4000);
    });
    return Promise.race([asked, late])
      .then(function (names) {
        return (Array.isArray(names) ? names : [])
          .filter(function (name) {
            return typeof name === "string" && /^part-[0-9]+\/$/.test(name);
          })
          .map(function (name) {
            return { bundlePath: folder + name };
          });
      })
      .catch(function () {
        return [];
      });
  }

  function start() {
    var container = document.getElementById("search");
    if (!container || typeof window.PagefindUI !== "function") {
      return;
    }
    otherParts(bundleFolder()).then(function (merged) {
      var options = {
        element: "#search",
        showSubResults: false,
        showImages: true,
        translations: { placeholder: container.dataset.placeholder || "Search" }
      };
      if (merged.length) {
        options.mergeIndex = merged;
      }
      var ui = new window.PagefindUI(options);
      labelField(container);
      var query = new URLSearchParams(window.location.search).get("q");
      if (query) {
        ui.triggerSearch(query);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
