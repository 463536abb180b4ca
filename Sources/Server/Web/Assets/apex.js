// Progressive enhancement only: the evidence upload streams the file as the raw body to the API's
// upload route and shows its progress. Failures are shown as they are; nothing is hidden or retried.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) { return; }

  var message = document.getElementById("upload-message");
  var area = form.querySelector(".progress-area");
  var bar = document.getElementById("upload-progress");
  var percent = document.getElementById("upload-percent");
  var button = form.querySelector("button[type=submit]");

  function show(text, isError) {
    message.hidden = false;
    message.textContent = text;
    message.className = isError ? "notice error" : "notice";
    message.setAttribute("role", isError ? "alert" : "status");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.elements.file.files[0];
    var indicators = Array.prototype.filter.call(form.querySelectorAll("input[name=indicators]"), function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    if (!file) { show("Choose a file to upload.", true); return; }
    var limit = Number(form.getAttribute("data-max-bytes"));
    if (file.size > limit) { show("The file is " + file.size + " bytes; the limit is " + limit + " bytes. Split it or compress it, then try again.", true); return; }
    if (file.size === 0) { show("The file is empty.", true); return; }
    if (indicators.length === 0) { show("Tick at least one indicator the document is evidence for.", true); return; }

    var query = new URLSearchParams({
      title: form.elements.title.value,
      kind: form.elements.kind.value,
      as_of: form.elements.as_of.value,
      indicators: indicators.join(","),
      file_name: file.name
    });
    if (form.elements.supersedes && form.elements.supersedes.value) { query.set("supersedes", form.elements.supersedes.value); }
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-api") + "?" + query.toString());
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    request.setRequestHeader("Accept", "application/json, application/problem+json");
    area.hidden = false;
    button.disabled = true;
    message.hidden = true;
    request.upload.onprogress = function (progress) {
      if (progress.lengthComputable) {
        var value = Math.round(progress.loaded * 100 / progress.total);
        bar.value = value;
        percent.textContent = value + "%";
      }
    };
    request.onload = function () {
      button.disabled = false;
      if (request.status === 201) {
        bar.value = 100;
        percent.textContent = "100%";
        // Back to the workspace (this page may be a refused form shown at its POST address).
        window.location.assign(form.getAttribute("data-return") + "?done=uploaded#documents");
        return;
      }
      var detail = "The upload was refused (status " + request.status + ").";
      try {
        var problem = JSON.parse(request.responseText);
        if (problem.detail) { detail = problem.title + ": " + problem.detail; }
      } catch (ignored) { /* not a problem document: keep the status line */ }
      show(detail, true);
    };
    request.onerror = function () {
      button.disabled = false;
      show("The upload did not reach the server. Check the connection and try again.", true);
    };
    request.send(file);
  });
}());
