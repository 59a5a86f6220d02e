// Studio behaviour, dependency-free: streamed uploads with progress, Markdown preview,
// person autocomplete, image previews, the browser's time zone.
(function () {
  "use strict";

  var csrfToken = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function formatBytes(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
    if (bytes >= 1024) return (bytes / 1024).toFixed(0) + " KB";
    return bytes + " B";
  }

  // Upload: the file is the raw request body, so the server streams it to disk.
  function setUpUploader(box) {
    var input = box.querySelector('input[type="file"]');
    var bar = box.querySelector("progress");
    var status = box.querySelector(".upload-status");
    var errorBox = box.querySelector(".upload-error");
    var maxBytes = parseInt(box.dataset.maxBytes, 10);

    function fail(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
      input.disabled = false;
    }

    input.addEventListener("change", function () {
      var file = input.files[0];
      if (!file) return;
      errorBox.hidden = true;
      if (maxBytes && file.size > maxBytes) {
        fail("The file is larger than " + formatBytes(maxBytes) + ", the most allowed.");
        return;
      }
      var type = file.type && file.type.indexOf("audio/") === 0 ? file.type : "audio/mpeg";
      var xhr = new XMLHttpRequest();
      var started = Date.now();
      xhr.open("POST", box.dataset.uploadUrl);
      xhr.setRequestHeader("Content-Type", type);
      xhr.setRequestHeader("X-CSRFToken", csrfToken);
      xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.floor((event.loaded / event.total) * 100);
        var seconds = Math.max((Date.now() - started) / 1000, 0.001);
        bar.value = percent;
        status.textContent =
          percent + " % · " + formatBytes(event.loaded) + " of " + formatBytes(event.total) +
          " · " + formatBytes(event.loaded / seconds) + "/s";
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = 100;
        status.textContent = "100 % · uploaded, checking the audio…";
      });
      xhr.addEventListener("load", function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (ignored) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300 && answer.edit_url) {
          status.textContent = "100 % · done";
          box.dataset.done = "1";
          window.location.assign(answer.edit_url);
        } else {
          fail(answer.error || "The upload failed (" + xhr.status + "); please try again.");
        }
      });
      xhr.addEventListener("error", function () {
        fail("The connection broke off; please try again.");
      });
      bar.hidden = false;
      bar.value = 0;
      input.disabled = true;
      status.textContent = "0 %";
      xhr.send(file);
    });
  }

  // Markdown preview: rendered and sanitized by the server exactly as the site shows it.
  function setUpPreview(textarea) {
    var target = textarea.closest(".field").nextElementSibling;
    if (!target || !target.classList.contains("markdown-preview")) return;
    var timer = null;
    function refresh() {
      var body = new URLSearchParams();
      body.set("markdown", textarea.value);
      fetch(textarea.dataset.preview, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken },
        body: body,
        credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { target.innerHTML = html; });
    }
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    if (textarea.value) refresh();
  }

  // Person autocomplete: pick an existing person, or keep typing to create one.
  function setUpAutocomplete(input) {
    var form = input.closest("form");
    var hidden = form.querySelector(".person-id");
    var list = form.querySelector(".suggestions");
    var timer = null;
    input.addEventListener("input", function () {
      hidden.value = "";
      clearTimeout(timer);
      var query = input.value.trim();
      if (!query) { list.hidden = true; return; }
      timer = setTimeout(function () {
        fetch(input.dataset.search + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (answer) {
            list.innerHTML = "";
            answer.people.forEach(function (person) {
              var item = document.createElement("li");
              var button = document.createElement("button");
              button.type = "button";
              button.setAttribute("role", "option");
              button.textContent = person.name + (person.affiliation ? " — " + person.affiliation : "");
              button.addEventListener("click", function () {
                input.value = person.name;
                hidden.value = person.id;
                list.hidden = true;
              });
              item.appendChild(button);
              list.appendChild(item);
            });
            list.hidden = answer.people.length === 0;
          });
      }, 200);
    });
  }

  function setUpImagePreview(input) {
    var image = document.getElementById(input.dataset.previewImage);
    input.addEventListener("change", function () {
      var file = input.files[0];
      if (!file || !image) return;
      image.src = URL.createObjectURL(file);
      image.hidden = false;
    });
  }

  function setBrowserZone(select) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && select.value === "UTC" && select.querySelector('option[value="' + zone + '"]')) {
      select.value = zone;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".uploader").forEach(setUpUploader);
    document.querySelectorAll("textarea[data-preview]").forEach(setUpPreview);
    document.querySelectorAll("input[data-search]").forEach(setUpAutocomplete);
    document.querySelectorAll("input[data-preview-image]").forEach(setUpImagePreview);
    document.querySelectorAll("select[data-browser-zone]").forEach(setBrowserZone);
  });
})();
