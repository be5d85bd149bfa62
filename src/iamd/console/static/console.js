// iamd console: the one script. Checks a policy document as it is typed (the server's
// grammar, the same MalformedPolicyDocument text the API answers), and reads a chosen
// file into the text area it names (SAML metadata), so forms stay url-encoded.
"use strict";
(function () {
  var csrf = document.querySelector('input[name="csrf"]');
  document.querySelectorAll("textarea.policy-editor").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("aria-describedby"));
    var timer = null, sent = 0;
    function check() {
      if (!area.value.trim()) { out.textContent = ""; out.className = "check"; return; }
      var mine = ++sent;
      fetch("/console/validate-policy", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.value : ""},
        body: JSON.stringify({document: area.value, kind: area.dataset.kind})
      }).then(function (r) { return r.json(); }).then(function (a) {
        if (mine !== sent) return;
        out.textContent = a.valid ? "The policy document is valid." : (a.code || "Error") + ": " + (a.message || a.error);
        out.className = "check " + (a.valid ? "good" : "bad");
      }).catch(function () {});
    }
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 300); });
  });
  document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files[0], target = document.getElementById(input.dataset.fills);
      if (!file || !target) return;
      var reader = new FileReader();
      reader.onload = function () { target.value = reader.result; };
      reader.readAsText(file);
    });
  });
})();
