/* Public Data Resource Supermarket: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  var doc = document;
  doc.documentElement.classList.add("js");

  function each(selector, fn, root) {
    var nodes = (root || doc).querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) { fn(nodes[i]); }
  }

  /* 大字号/高对比: remember the choice for a year in a cookie the server reads (base.html). */
  function setupLargeText() {
    each("[data-large-toggle]", function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var on = !doc.body.classList.contains("large-text");
        doc.body.classList.toggle("large-text", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
        doc.cookie = on ? "large_text=1; path=/; max-age=31536000; SameSite=Lax"
                        : "large_text=; path=/; max-age=0; SameSite=Lax";
      });
    });
  }

  /* Facet rail and sort: submit the GET form as soon as a checkbox or the sort order changes. */
  function setupAutoSubmit() {
    each("form[data-autosubmit]", function (form) {
      form.addEventListener("change", function (event) {
        var target = event.target;
        if (target.type === "checkbox" || target.tagName === "SELECT") {
          form.classList.add("is-loading");
          form.submit();
        }
      });
    });
  }

  /* Entry form: 添加信息项 clones the last row with the next free index and empty values. */
  function setupItemRows() {
    each("[data-add-item]", function (button) {
      var form = button.form || button.closest("form");
      var body = form && form.querySelector("[data-item-rows]");
      if (!body) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var rows = body.querySelectorAll("[data-item-row]");
        var last = rows[rows.length - 1];
        var next = 0;
        each("input[name^='item-'], select[name^='item-']", function (field) {
          var n = parseInt(field.name.split("-")[1], 10);
          if (n >= next) { next = n + 1; }
        }, body);
        var row = last.cloneNode(true);
        var rename = function (value) { return value.replace(/^item-\d+-/, "item-" + next + "-"); };
        each("[name], [id], label[for]", function (el) {
          if (el.name) { el.name = rename(el.name); }
          if (el.id) { el.id = rename(el.id); }
          if (el.htmlFor) { el.htmlFor = rename(el.htmlFor); }
          el.removeAttribute("aria-invalid");
          el.removeAttribute("aria-describedby");
        }, row);
        each("input", function (input) {
          if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
        }, row);
        each("select", function (select) { select.selectedIndex = 0; }, row);
        each(".error", function (p) { p.parentNode.removeChild(p); }, row);
        each("label.visually-hidden", function (label) {
          label.textContent = label.textContent.replace(/\d+/, String(next + 1));
        }, row);
        body.appendChild(row);
        row.querySelector("input").focus();
      });
    });
  }

  /* After a failed submit, move focus to the error summary so screen readers announce it. */
  function focusErrorSummary() {
    var summary = doc.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  function init() {
    setupLargeText();
    setupAutoSubmit();
    setupItemRows();
    focusErrorSummary();
  }

  if (doc.readyState === "loading") {
    doc.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
