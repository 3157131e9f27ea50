/* Record forms of the published quality manual (qms). Draws the form of a record type from its specification
   (window.QMS_FORMS[type], written by the engine from the type's JSON Schema), checks every field by the same
   rules as the schema (type, choices, required and conditionally required fields, patterns, dates, lengths,
   bounds), and writes the record as YAML. No library, nothing loaded or sent: it works offline. MIT licence, as
   the engine. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function realDate(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    var d = new Date(text + "T00:00:00Z");
    return !isNaN(d) && d.toISOString().slice(0, 10) === text;
  }

  function shown(value) { return typeof value === "string" ? "'" + value + "'" : String(value); }

  function label(spec, name) {
    var f = spec.fields.filter(function (x) { return x.name === name; })[0];
    return f ? f.label : name;
  }

  /* The value of a field as the record will hold it; undefined when empty. */
  function read(field, input) {
    if (field.kind === "boolean") return input.value === "" ? undefined : input.value === "true";
    var raw = input.value.trim();
    if (raw === "") return undefined;
    if (field.kind === "integer" || field.kind === "number") return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    if (field.kind === "list") return raw.split(/\s*[\n;,]\s*/).filter(function (x) { return x; });
    return raw;
  }

  function checkValue(field, value) {
    var what = field.label;
    if (field.kind === "integer" && !(typeof value === "number" && Number.isInteger(value)))
      return what + ": enter a whole number";
    if (field.kind === "number" && typeof value !== "number") return what + ": enter a number";
    var values = Array.isArray(value) ? value : [value];
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (field.enum && field.enum.indexOf(v) < 0) return what + ": " + shown(v) + " is not one of " + field.enum.join(", ");
      if (field.choices && typeof v === "string" &&
          !field.choices.some(function (c) { return c[0] === v; })) return what + ": " + shown(v) + " is not known here";
      if (typeof v === "string") {
        if (field.format === "date" && !realDate(v)) return what + ": " + shown(v) + " is not a real date (use YYYY-MM-DD)";
        if (field.pattern && !new RegExp(field.pattern).test(v))
          return what + ": " + shown(v) + " does not match: " + (field.description || field.pattern);
        if (field.minLength && v.length < field.minLength)
          return what + ": write at least " + field.minLength + " characters";
        if (field.maxLength && v.length > field.maxLength)
          return what + ": write at most " + field.maxLength + " characters";
      }
      if (typeof v === "number") {
        if (field.minimum !== undefined && v < field.minimum) return what + ": must be " + field.minimum + " or more";
        if (field.maximum !== undefined && v > field.maximum) return what + ": must be " + field.maximum + " or less";
      }
    }
    return null;
  }

  /* Every problem of the data: {field: message}, the rules of the schema in the schema's words. */
  function validate(spec, data) {
    var problems = {};
    spec.fields.forEach(function (field) {
      var value = data[field.name];
      if (value === undefined) {
        if (field.required) problems[field.name] = field.label + ": required — " + (field.description || "fill it in");
        return;
      }
      var message = checkValue(field, value);
      if (message) problems[field.name] = message;
    });
    spec.conditions.forEach(function (rule) {
      var because = [];
      var applies = Object.keys(rule.when).every(function (name) {
        if (rule.when[name].indexOf(data[name]) < 0) return false;
        because.push(label(spec, name) + " is " + shown(data[name]));
        return true;
      });
      if (!applies) return;
      rule.required.forEach(function (name) {
        if (data[name] === undefined && !problems[name])
          problems[name] = label(spec, name) + ": required because " + because.join(" and ");
      });
      Object.keys(rule.forbid || {}).forEach(function (name) {
        if (data[name] === rule.forbid[name] && !problems[name])
          problems[name] = label(spec, name) + ": may not be " + shown(rule.forbid[name]) + " when " + because.join(" and ");
      });
    });
    return problems;
  }

  var PLAIN = /^[A-Za-z0-9][A-Za-z0-9 _.,()\/+%°-]*$/;
  var SPECIAL = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

  function scalar(field, value) {
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    if (field && field.format === "date" && realDate(value)) return value;
    if (PLAIN.test(value) && !SPECIAL.test(value) && !/^[-+]?[\d.]+$/.test(value) && !/^\d{4}-\d{2}-\d{2}/.test(value)
        && !/ #|: /.test(value) && !/ $/.test(value)) return value;
    return JSON.stringify(value);
  }

  function toYaml(spec, data) {
    var lines = ["# " + spec.header];
    spec.fields.forEach(function (field) {
      var value = data[field.name];
      if (value === undefined) return;
      if (Array.isArray(value)) {
        lines.push(field.name + ":");
        value.forEach(function (v) { lines.push("  - " + scalar(field, v)); });
      } else {
        lines.push(field.name + ": " + scalar(field, value));
      }
    });
    return lines.join("\n") + "\n";
  }

  function newFileUrl(editor, path, content) {
    var q = function (s) { return encodeURIComponent(s); };
    if (editor.kind === "github")
      return editor.base + "/new/" + q(editor.branch) + "?filename=" + q(path) + "&value=" + q(content);
    var cut = path.lastIndexOf("/");
    return editor.base + "/-/new/" + q(editor.branch) + "/" + path.slice(0, cut).split("/").map(q).join("/") +
      "?file_name=" + q(path.slice(cut + 1)) + "&content=" + q(content);
  }

  function input(field, id, hint) {
    var common = {id: id, name: field.name, "aria-describedby": hint, required: field.required ? "required" : null,
                  "aria-required": field.required ? "true" : null};
    var node;
    if (field.kind === "choice" || field.choices || field.kind === "boolean") {
      node = el("select", common);
      node.appendChild(el("option", {value: ""}, field.required ? "— choose —" : "— none —"));
      var options = field.kind === "boolean" ? [["true", "yes"], ["false", "no"]] :
        (field.choices || (field.enum || []).map(function (v) { return [String(v), String(v)]; }));
      options.forEach(function (o) { node.appendChild(el("option", {value: o[0]}, o[1])); });
      if (field.kind === "list") { node.setAttribute("multiple", "multiple"); node.firstChild.remove(); }
    } else if (field.kind === "textarea" || field.kind === "list") {
      node = el("textarea", Object.assign(common, {rows: field.kind === "list" ? 3 : 3}));
    } else {
      var type = field.kind === "date" ? "date" : (field.kind === "integer" || field.kind === "number") ? "number" : "text";
      node = el("input", Object.assign(common, {type: type, step: field.kind === "number" ? "any" : null,
        inputmode: field.kind === "integer" ? "numeric" : null}));
    }
    if (field.default !== undefined) node.value = String(field.default);
    return node;
  }

  function readField(field, node) {
    if (node.multiple) {
      var picked = Array.prototype.filter.call(node.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
      return picked.length ? picked : undefined;
    }
    return read(field, node);
  }

  function draw(holder, spec) {
    holder.textContent = "";
    var form = el("form", {"class": "qms-form-fields", novalidate: "novalidate", "aria-label": "New " + spec.title});
    var summary = el("div", {"class": "qms-form-summary", role: "alert", "aria-live": "assertive", id: "qms-form-summary"});
    var inputs = {};
    spec.fields.forEach(function (field) {
      var id = "qms-f-" + field.name, hint = id + "-hint", error = id + "-error";
      var row = el("div", {"class": "qms-form-row"});
      var lab = el("label", {"for": id}, field.label);
      if (field.required) lab.appendChild(el("span", {"class": "qms-form-required"}, " (required)"));
      row.appendChild(lab);
      var node = input(field, id, hint + " " + error);
      inputs[field.name] = node;
      row.appendChild(node);
      row.appendChild(el("div", {"class": "qms-form-hint", id: hint}, field.description +
        (field.kind === "list" ? " (one per line)" : "")));
      row.appendChild(el("div", {"class": "qms-form-error", id: error}));
      form.appendChild(row);
    });
    if (spec.skipped.length)
      form.appendChild(el("p", {"class": "qms-form-hint"}, "Not in the form (add them to the YAML if needed): " +
        spec.skipped.join(", ") + "."));
    var make = el("button", {type: "submit", "class": "md-button md-button--primary"}, "Make the record");
    form.appendChild(make);
    holder.appendChild(summary);
    holder.appendChild(form);

    var out = el("div", {"class": "qms-form-output", hidden: "hidden"});
    var pathLine = el("p", {"class": "qms-form-path"});
    var outLabel = el("label", {"for": "qms-form-yaml"}, "The record, as YAML");
    var yaml = el("textarea", {id: "qms-form-yaml", rows: "14", readonly: "readonly", spellcheck: "false"});
    var actions = el("div", {"class": "qms-form-actions"});
    var download = el("a", {"class": "md-button", id: "qms-form-download"}, "Download");
    var copy = el("button", {type: "button", "class": "md-button", id: "qms-form-copy"}, "Copy");
    var copied = el("span", {"class": "qms-form-copied", role: "status"});
    actions.appendChild(download);
    actions.appendChild(copy);
    var open = null;
    if (spec.editor) {
      open = el("a", {"class": "md-button", id: "qms-form-open", rel: "noopener"}, "Open a new-file page on " + spec.editor.name);
      actions.appendChild(open);
    }
    actions.appendChild(copied);
    [pathLine, outLabel, yaml, actions].forEach(function (n) { out.appendChild(n); });
    holder.appendChild(out);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = {};
      spec.fields.forEach(function (f) { var v = readField(f, inputs[f.name]); if (v !== undefined) data[f.name] = v; });
      var problems = validate(spec, data);
      var names = Object.keys(problems);
      spec.fields.forEach(function (f) {
        var node = inputs[f.name], msg = document.getElementById("qms-f-" + f.name + "-error");
        msg.textContent = problems[f.name] || "";
        if (problems[f.name]) node.setAttribute("aria-invalid", "true"); else node.removeAttribute("aria-invalid");
      });
      if (names.length) {
        out.hidden = true;
        summary.textContent = "";
        summary.appendChild(el("p", {}, names.length === 1 ? "1 field needs a change:" : names.length + " fields need a change:"));
        var list = el("ul");
        names.forEach(function (n) { list.appendChild(el("li", {}, problems[n])); });
        summary.appendChild(list);
        inputs[names[0]].focus();
        return;
      }
      summary.textContent = "";
      var text = toYaml(spec, data);
      var file = spec.folder + "/" + data.id + ".yaml";
      pathLine.textContent = "Save it as " + file + ", then propose it (a pull request), or run qms check.";
      yaml.value = text;
      download.setAttribute("href", "data:text/yaml;charset=utf-8," + encodeURIComponent(text));
      download.setAttribute("download", data.id + ".yaml");
      if (open) open.setAttribute("href", newFileUrl(spec.editor, file, text));
      out.hidden = false;
      yaml.focus();
    });
    copy.addEventListener("click", function () {
      yaml.select();
      var done = function () { copied.textContent = " Copied."; };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(yaml.value).then(done, function () {
        document.execCommand("copy"); done();
      });
      else { document.execCommand("copy"); done(); }
    });
  }

  function start() {
    var forms = window.QMS_FORMS || {};
    Array.prototype.forEach.call(document.querySelectorAll("div.qms-form[id^='qms-form-']"), function (holder) {
      var spec = forms[holder.id.slice("qms-form-".length)];
      if (spec) draw(holder, spec);
    });
  }

  window.QMSForms = {validate: validate, toYaml: toYaml};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
