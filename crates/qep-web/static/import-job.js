// Follows a running import job (page admin/imports_job.html): updates the progress bar and
// the status line (an aria-live region) every two seconds, and reloads the page once the
// job is over so that its outcome is shown. Without JavaScript the page has a link to
// refresh it.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status");
  var bar = document.getElementById("import-progress");
  var status = document.getElementById("import-status");
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (job) {
        if (!job) {
          return;
        }
        if (job.done) {
          window.location.reload();
          return;
        }
        bar.max = job.total;
        bar.value = job.bytes;
        bar.textContent = job.text;
        if (status.textContent !== job.text) {
          status.textContent = job.text;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
