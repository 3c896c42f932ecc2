// The files widget (files/_panel.html): drag and drop, a size check before sending, upload progress
// from htmx's htmx:xhr:progress event, and the panel swapped in when the server refuses (400, 413).
// Loaded by each panel; the guard keeps one set of listeners however often it runs.
(function () {
  "use strict";
  if (window.medofficeFilesWidget) return;
  window.medofficeFilesWidget = true;

  function uploadForm(element) {
    return element && element.closest ? element.closest("form.file-upload") : null;
  }

  function dropZone(event) {
    return event.target && event.target.closest ? event.target.closest("[data-drop-zone]") : null;
  }

  // What the server would refuse for size, said before anything is sent (the server checks anyway).
  function sizeProblem(form) {
    var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);
    var maxFiles = parseInt(form.dataset.maxFiles || "0", 10);
    var files = form.querySelector('input[type="file"]').files;
    if (maxFiles && files.length > maxFiles) return "Upload at most " + maxFiles + " files at a time. Nothing was uploaded.";
    for (var i = 0; i < files.length; i++) {
      if (maxBytes && files[i].size > maxBytes) {
        return "\u201c" + files[i].name + "\u201d is larger than " + form.dataset.limitLabel +
          ", the limit for these files. Nothing was uploaded.";
      }
    }
    return "";
  }

  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var zone = dropZone(event);
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = dropZone(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", function (event) {
    var zone = dropZone(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    zone.querySelector('input[type="file"]').files = event.dataTransfer.files;
    uploadForm(zone).requestSubmit();
  });

  // Choosing files sends them at once; the Upload button serves keyboards and pages without script.
  document.addEventListener("change", function (event) {
    var form = uploadForm(event.target);
    if (form && event.target.type === "file" && event.target.files.length) form.requestSubmit();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.file-upload")) return;
    var problem = sizeProblem(form);
    var line = form.querySelector(".file-problem");
    line.textContent = problem;
    line.hidden = !problem;
    if (problem) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event.target);
    if (!form || !event.detail.lengthComputable || !event.detail.total) return;
    var bar = form.querySelector(".file-progress");
    bar.hidden = false;
    bar.value = Math.round(100 * event.detail.loaded / event.detail.total);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if ((status === 400 || status === 413) && target && target.classList && target.classList.contains("attachments")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
