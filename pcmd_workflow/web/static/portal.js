/* pcmd portal: checks the figures of an indicator form while they are typed.
 * The same rules as the server's validator (pcmd_workflow/domain/form_values.py), which
 * decides: counts are whole numbers >= 0, amounts numbers >= 0, percentages 0-100, and a
 * «Trong đó» row may not exceed its parent. No library, no network. */
(function () {
  "use strict";
  var form = document.getElementById("indicator-form");
  if (!form) { return; }
  var summary = document.getElementById("client-errors");
  var NUMBER = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/;

  function parse(text) {
    var clean = text.trim().replace(/\s/g, "");
    if (!NUMBER.test(clean)) { return null; }
    return parseFloat(clean.replace(",", "."));
  }

  function byRow(rowId) {
    var inputs = form.querySelectorAll("[data-row]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].getAttribute("data-row") === rowId) { return inputs[i]; }
    }
    return null;
  }

  function problem(input) {
    var kind = input.getAttribute("data-kind");
    var raw = input.value.trim();
    if (!raw || kind === "boolean") { return ""; }
    var n = parse(raw);
    if (n === null) { return "«" + raw + "» không phải là số"; }
    if (!isFinite(n)) { return "giá trị không hữu hạn"; }
    if (kind === "percent") {
      return (n < 0 || n > 100) ? "tỷ lệ phần trăm phải trong khoảng 0–100" : "";
    }
    if (n < 0) { return "số liệu không được âm"; }
    if (kind === "count" && Math.floor(n) !== n) { return "số lượng phải là số nguyên"; }
    var parentId = input.getAttribute("data-of-which");
    if (parentId) {
      var parent = byRow(parentId);
      var p = parent ? parse(parent.value) : null;
      if (p !== null && n > p + 1e-9) {
        return "«Trong đó» (" + raw + ") lớn hơn dòng " + parentId + " (" + parent.value.trim() + ")";
      }
    }
    return "";
  }

  function show(input, message) {
    var err = document.getElementById(input.id + "-err");
    if (err) { err.textContent = message; }
    input.setAttribute("aria-invalid", message ? "true" : "false");
    var row = input.closest("tr");
    if (row) { row.classList.toggle("has-error", Boolean(message)); }
    return message;
  }

  function checkWithChildren(input) {
    show(input, problem(input));
    var rowId = input.getAttribute("data-row");
    var inputs = form.querySelectorAll("[data-of-which]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].getAttribute("data-of-which") === rowId) { show(inputs[i], problem(inputs[i])); }
    }
  }

  form.addEventListener("input", function (event) {
    if (event.target.hasAttribute("data-row")) { checkWithChildren(event.target); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.hasAttribute("data-row")) { checkWithChildren(event.target); }
  });

  form.addEventListener("submit", function (event) {
    var inputs = form.querySelectorAll("[data-row]");
    var errors = [];
    for (var i = 0; i < inputs.length; i++) {
      var message = show(inputs[i], problem(inputs[i]));
      if (message) { errors.push({ input: inputs[i], text: inputs[i].getAttribute("data-row") + ": " + message }); }
    }
    if (!errors.length) {
      if (summary) { summary.hidden = true; }
      return;
    }
    event.preventDefault();
    if (!summary) { errors[0].input.focus(); return; }
    summary.textContent = "";
    var head = document.createElement("p");
    head.textContent = "Chưa gửi được: có " + errors.length + " số liệu cần sửa.";
    summary.appendChild(head);
    var list = document.createElement("ul");
    errors.forEach(function (e) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + e.input.id;
      link.textContent = e.text;
      link.addEventListener("click", function (ev) { ev.preventDefault(); e.input.focus(); });
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.appendChild(list);
    summary.hidden = false;
    summary.focus();
  });
}());
