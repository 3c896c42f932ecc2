// medoffice behaviours: confirm dialogs, "/" to search, idle logoff warning. No inline script (CSP).
(function () {
  "use strict";

  // Confirm dialogs: <form data-confirm="message"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm]") || form.dataset.confirmed === "1") return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(form.dataset.confirm)) { form.dataset.confirmed = "1"; form.requestSubmit(); }
      return;
    }
    document.getElementById("confirm-message").textContent = form.dataset.confirm;
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue === "ok") { form.dataset.confirmed = "1"; form.requestSubmit(); delete form.dataset.confirmed; }
    };
    dialog.showModal();
    document.getElementById("confirm-ok").focus();
  }, true);

  // "/" focuses the element marked data-hotkey="/" unless typing in a field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var target = document.querySelector('[data-hotkey="/"]');
    if (target) { event.preventDefault(); target.focus(); }
  });

  // 422 (validation failed) carries the form with its inline errors: swap it in like a 200.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });

  // Inline edit (core/_inline_edit.html): Escape cancels; focus returns to the Edit button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var editor = event.target.closest("form.inline-edit");
    var cancel = editor && editor.querySelector("[data-inline-cancel]");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });
  document.addEventListener("htmx:load", function (event) {
    var cell = event.detail.elt;
    if (cell.matches && cell.matches(".inline-cell[data-inline-focus]")) {
      var button = cell.querySelector(".inline-edit-button");
      if (button) button.focus();
    }
  });

  // A theme switch reaches open pages: boosted navigation swaps only the body, so when a new
  // page names another theme than the loaded stylesheet, load that theme's stylesheet.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var named = xhr && /<link[^>]+data-theme="([^"]+)"/.exec(xhr.responseText || "");
    var link = document.querySelector("link[data-theme]");
    if (named && link && link.dataset.theme !== named[1]) {
      link.dataset.theme = named[1];
      link.href = link.href.split("?")[0] + "?theme=" + encodeURIComponent(named[1]);
    }
  });

  // Narrow screens: the Menu button shows and hides the navigation (CSS hides it below 900 px).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-menu-toggle]");
    if (!button) return;
    var box = document.getElementById(button.getAttribute("aria-controls"));
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (box) box.classList.toggle("open", open);
  });

  // Toasts: any can be closed; success and info ones go by themselves after a few seconds
  // (errors and warnings stay until read and closed).
  var TOAST_SECONDS = 6;
  function dismiss(toast) { if (toast && toast.parentNode) toast.parentNode.removeChild(toast); }
  function scheduleToasts(root) {
    var toasts = (root && root.querySelectorAll) ? root.querySelectorAll(".toast[data-autodismiss]") : [];
    Array.prototype.forEach.call(toasts, function (toast) {
      if (toast.dataset.scheduled) return;
      toast.dataset.scheduled = "1";
      setTimeout(function () { dismiss(toast); }, TOAST_SECONDS * 1000);
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss-toast]");
    if (button) dismiss(button.closest(".toast"));
  });
  document.addEventListener("DOMContentLoaded", function () { scheduleToasts(document); });
  document.addEventListener("htmx:load", function () { scheduleToasts(document); });

  // Idle logoff: warn a minute before the server-side timeout, then log out.
  var idleTimer = null, warnTimer = null, countdown = null;
  function resetIdle() {
    var minutes = parseInt(document.body.dataset.idleMinutes || "0", 10);
    if (!minutes) return;
    var warning = document.getElementById("idle-warning");
    if (warning) warning.hidden = true;
    clearTimeout(idleTimer); clearTimeout(warnTimer); clearInterval(countdown);
    var total = minutes * 60 * 1000;
    warnTimer = setTimeout(function () {
      if (!warning) return;
      var left = 60;
      warning.hidden = false;
      warning.querySelector("[data-countdown]").textContent = left;
      countdown = setInterval(function () {
        left -= 1;
        warning.querySelector("[data-countdown]").textContent = Math.max(left, 0);
      }, 1000);
    }, Math.max(total - 60000, 0));
    idleTimer = setTimeout(function () {
      var form = document.createElement("form");
      form.method = "post";
      form.action = document.body.dataset.logoutUrl;
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf_token"; token.value = headers["X-CSRFToken"] || "";
      form.appendChild(token);
      document.body.appendChild(form);
      form.submit();
    }, total);
  }
  document.addEventListener("click", function (event) {
    if (event.target.matches && event.target.matches("[data-stay-signed-in]")) {
      fetch(window.location.pathname, { credentials: "same-origin", headers: { "HX-Request": "true" } });
    }
  });
  ["DOMContentLoaded", "keydown", "click"].forEach(function (name) {
    document.addEventListener(name, resetIdle);
  });
  // Requests the page makes by itself (polling, lazy loads) are not activity: mark them so the
  // server's idle logoff does not count them either (medoffice.sessions).
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.triggeringEvent) { resetIdle(); } else { event.detail.headers["X-Medoffice-Background"] = "1"; }
  });
})();
