/* The segment builder: edits a rule of analytics/segment_rules.py as nested groups of
   conditions, keeps the JSON textarea (the form's real field, also the power users'
   editor) in step with it, and asks the preview endpoint for the count and a sample as
   the rule changes. The field list, operators and texts come from the page
   (json_script "segment-language"), i.e. from segment_rules.FIELDS. */
(function () {
  "use strict";

  var LIST_OPS = ["in", "not_in", "has_any", "has_all"];
  var NUMERIC = ["integer", "number", "money", "aggregate"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function Builder(form, lang) {
    this.form = form;
    this.lang = lang;
    this.t = lang.text;
    this.fields = {};
    lang.fields.forEach(function (f) { this.fields[f.name] = f; }, this);
    this.tree = form.querySelector("[data-rule-tree]");
    this.json = form.querySelector("[data-rule-json]");
    this.jsonError = form.querySelector("[data-json-error]");
    this.preview = form.querySelector("[data-preview]");
    this.previewUrl = form.dataset.previewUrl;
    this.timer = null;
    this.request = 0;
    var rule;
    try { rule = JSON.parse(this.json.value || "{}"); } catch (e) { rule = {}; }
    this.root = this.fromRule(rule);
    this.tree.hidden = false;
    var self = this;
    this.json.addEventListener("input", function () { self.fromJson(); });
    this.render();
    this.schedulePreview(0);
  }

  /* --- model: groups {mode: all|any|none, children: [...]} and conditions ------------ */

  Builder.prototype.fromRule = function (rule) {
    if (!rule || typeof rule !== "object" || Array.isArray(rule)) return {mode: "all", children: []};
    if (rule.all || rule.any) {
      var mode = rule.all ? "all" : "any";
      return {mode: mode, children: (rule[mode] || []).map(this.fromNode, this)};
    }
    if (rule.not) {
      var inner = rule.not;
      var kids = inner.any ? inner.any : [inner];
      return {mode: "none", children: kids.map(this.fromNode, this)};
    }
    if (rule.field) return {mode: "all", children: [this.fromNode(rule)]};
    return {mode: "all", children: []};
  };

  Builder.prototype.fromNode = function (node) {
    if (node && (node.all || node.any || node.not)) return this.fromRule(node);
    return {field: node.field, op: node.op, value: node.value, days: node.days};
  };

  Builder.prototype.toRule = function (group) {
    var kids = group.children.map(function (c) {
      return c.children ? this.toRule(c) : this.toCondition(c);
    }, this);
    if (group.mode === "none") return {not: {any: kids}};
    var out = {};
    out[group.mode] = kids;
    return out;
  };

  Builder.prototype.toCondition = function (c) {
    var out = {field: c.field, op: c.op, value: c.value};
    if (c.days !== undefined && c.days !== null && c.days !== "") out.days = c.days;
    return out;
  };

  /* The path segment_rules names a node by, to mark the condition a bad rule is about. */
  Builder.prototype.paths = function (group, path) {
    var key = group.mode === "none" ? "not.any" : group.mode;
    var here = path ? path + "." + key : key;
    group.children.forEach(function (c, i) {
      c.path = here + "[" + i + "]";
      if (c.children) this.paths(c, c.path);
    }, this);
  };

  /* --- values ------------------------------------------------------------------------ */

  Builder.prototype.defaultValue = function (field, op) {
    if (op === "is_null") return true;
    if (field.kind === "bool") return true;
    if (op === "between") return NUMERIC.indexOf(field.kind) >= 0 ? [0, 0] : ["", ""];
    if (field.kind === "choice") {
      var first = field.choices.length ? field.choices[0][0] : "";
      return LIST_OPS.indexOf(op) >= 0 ? [first] : first;
    }
    if (LIST_OPS.indexOf(op) >= 0) return [];
    if (NUMERIC.indexOf(field.kind) >= 0) return 0;
    return "";
  };

  Builder.prototype.parseScalar = function (field, text) {
    if (NUMERIC.indexOf(field.kind) >= 0) {
      var n = Number(text);
      return text === "" || isNaN(n) ? text : n;
    }
    return text;
  };

  /* --- rendering --------------------------------------------------------------------- */

  Builder.prototype.render = function () {
    this.paths(this.root, "");
    this.tree.replaceChildren(this.renderGroup(this.root, null));
  };

  Builder.prototype.changed = function (rerender) {
    if (rerender) this.render();
    this.paths(this.root, "");
    this.json.value = JSON.stringify(this.toRule(this.root), null, 2);
    this.jsonError.hidden = true;
    this.schedulePreview(350);
  };

  Builder.prototype.fromJson = function () {
    var rule;
    try {
      rule = JSON.parse(this.json.value || "{}");
    } catch (e) {
      this.jsonError.textContent = this.t.badJson;
      this.jsonError.hidden = false;
      return;
    }
    this.jsonError.hidden = true;
    this.root = this.fromRule(rule);
    this.render();
    this.schedulePreview(350, rule);
  };

  Builder.prototype.renderGroup = function (group, parent) {
    var self = this;
    var box = el("div", {className: "rulegroup", role: "group"});
    var head = el("div", {className: "grouphead"});
    var mode = el("select", {"aria-label": this.t.match});
    ["all", "any", "none"].forEach(function (m) {
      var o = el("option", {value: m, text: self.t[m]});
      if (group.mode === m) o.selected = true;
      mode.appendChild(o);
    });
    mode.addEventListener("change", function () { group.mode = mode.value; self.changed(false); });
    head.appendChild(el("span", {text: parent ? "" : this.t.match}));
    head.appendChild(mode);
    var addCond = el("button", {type: "button", text: this.t.addCondition});
    addCond.addEventListener("click", function () {
      var field = self.lang.fields[0];
      group.children.push({field: field.name, op: field.ops[0], value: self.defaultValue(field, field.ops[0])});
      self.changed(true);
    });
    var addGroup = el("button", {type: "button", text: this.t.addGroup});
    addGroup.addEventListener("click", function () {
      group.children.push({mode: "any", children: []});
      self.changed(true);
    });
    head.appendChild(addCond);
    head.appendChild(addGroup);
    if (parent) head.appendChild(this.removeButton(parent, group));
    box.appendChild(head);
    if (!group.children.length && !parent) box.appendChild(el("p", {className: "help", text: this.t.everyone}));
    group.children.forEach(function (child) {
      var node = child.children ? self.renderGroup(child, group) : self.renderCondition(child, group);
      node.dataset.path = child.path;
      box.appendChild(node);
    });
    return box;
  };

  Builder.prototype.removeButton = function (parent, child) {
    var self = this;
    var button = el("button", {type: "button", className: "remove", text: "×", "aria-label": this.t.remove, title: this.t.remove});
    button.addEventListener("click", function () {
      parent.children.splice(parent.children.indexOf(child), 1);
      self.changed(true);
    });
    return button;
  };

  Builder.prototype.renderCondition = function (cond, parent) {
    var self = this;
    var row = el("div", {className: "rulecondition"});
    var field = this.fields[cond.field];
    var fieldSelect = el("select", {"aria-label": "field"});
    this.lang.fields.forEach(function (f) {
      var o = el("option", {value: f.name, text: f.label});
      if (f.name === cond.field) o.selected = true;
      fieldSelect.appendChild(o);
    });
    if (!field) {
      fieldSelect.appendChild(el("option", {value: cond.field, text: String(cond.field), selected: "selected"}));
    }
    fieldSelect.addEventListener("change", function () {
      var f = self.fields[fieldSelect.value];
      cond.field = f.name;
      if (f.ops.indexOf(cond.op) < 0) cond.op = f.ops[0];
      cond.value = self.defaultValue(f, cond.op);
      cond.days = f.days === "required" ? 90 : undefined;
      self.changed(true);
    });
    row.appendChild(fieldSelect);
    if (!field) { row.appendChild(this.removeButton(parent, cond)); return row; }

    var opSelect = el("select", {"aria-label": "operator"});
    field.ops.forEach(function (op) {
      var o = el("option", {value: op, text: self.lang.operators[op] || op});
      if (op === cond.op) o.selected = true;
      opSelect.appendChild(o);
    });
    opSelect.addEventListener("change", function () {
      var wasList = LIST_OPS.indexOf(cond.op) >= 0, isList = LIST_OPS.indexOf(opSelect.value) >= 0;
      var shapeChanged = wasList !== isList || cond.op === "between" || opSelect.value === "between" ||
        cond.op === "is_null" || opSelect.value === "is_null";
      cond.op = opSelect.value;
      if (shapeChanged) cond.value = self.defaultValue(field, cond.op);
      self.changed(true);
    });
    row.appendChild(opSelect);
    row.appendChild(this.valueInput(field, cond));
    if (field.days) {
      var days = el("input", {type: "number", min: "1", max: "3650", step: "1", className: "days", "aria-label": this.t.days, placeholder: this.t.days});
      if (cond.days !== undefined && cond.days !== null) days.value = cond.days;
      days.addEventListener("input", function () {
        cond.days = days.value === "" ? undefined : Number(days.value);
        self.changed(false);
      });
      row.appendChild(el("span", {className: "dayslabel", text: this.t.days}));
      row.appendChild(days);
    }
    row.appendChild(this.removeButton(parent, cond));
    return row;
  };

  Builder.prototype.valueInput = function (field, cond) {
    var self = this;
    var op = cond.op;
    if (op === "is_null" || field.kind === "bool") {
      var yn = el("select", {"aria-label": "value"});
      [[true, this.t.yes], [false, this.t.no]].forEach(function (pair) {
        var o = el("option", {value: String(pair[0]), text: pair[1]});
        if (cond.value === pair[0]) o.selected = true;
        yn.appendChild(o);
      });
      yn.addEventListener("change", function () { cond.value = yn.value === "true"; self.changed(false); });
      return yn;
    }
    if (field.kind === "choice") {
      var multiple = LIST_OPS.indexOf(op) >= 0;
      var select = el("select", {"aria-label": "value"});
      if (multiple) { select.multiple = true; select.size = Math.min(6, field.choices.length); }
      var chosen = multiple ? (Array.isArray(cond.value) ? cond.value : []) : [cond.value];
      field.choices.forEach(function (pair) {
        var o = el("option", {value: pair[0], text: pair[1]});
        if (chosen.indexOf(pair[0]) >= 0) o.selected = true;
        select.appendChild(o);
      });
      select.addEventListener("change", function () {
        cond.value = multiple
          ? Array.prototype.filter.call(select.options, function (o) { return o.selected; }).map(function (o) { return o.value; })
          : select.value;
        self.changed(false);
      });
      return select;
    }
    var type = field.kind === "date" ? "date" : NUMERIC.indexOf(field.kind) >= 0 ? "number" : "text";
    if (op === "between") {
      var pair = Array.isArray(cond.value) ? cond.value.slice(0, 2) : ["", ""];
      var wrap = el("span", {className: "between"});
      [0, 1].forEach(function (i) {
        var input = el("input", {type: type, step: "any", "aria-label": "value " + (i + 1)});
        input.value = pair[i] === undefined ? "" : pair[i];
        input.addEventListener("input", function () {
          pair[i] = self.parseScalar(field, input.value);
          cond.value = pair.slice();
          self.changed(false);
        });
        wrap.appendChild(input);
        if (i === 0) wrap.appendChild(document.createTextNode(" – "));
      });
      return wrap;
    }
    if (LIST_OPS.indexOf(op) >= 0) {
      var list = el("input", {type: "text", "aria-label": "values", placeholder: this.t.listHint, title: this.t.listHint});
      list.value = Array.isArray(cond.value) ? cond.value.join(", ") : "";
      list.addEventListener("input", function () {
        cond.value = list.value.split(",").map(function (s) { return s.trim(); })
          .filter(function (s) { return s !== ""; })
          .map(function (s) { return self.parseScalar(field, s); });
        self.changed(false);
      });
      return list;
    }
    var input = el("input", {type: type, step: "any", "aria-label": "value"});
    input.value = cond.value === undefined || cond.value === null ? "" : cond.value;
    input.addEventListener("input", function () { cond.value = self.parseScalar(field, input.value); self.changed(false); });
    return input;
  };

  /* --- preview ----------------------------------------------------------------------- */

  Builder.prototype.schedulePreview = function (delay, rule) {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.runPreview(rule || self.toRule(self.root)); }, delay);
  };

  Builder.prototype.runPreview = function (rule) {
    var self = this, ticket = ++this.request;
    var count = this.preview.querySelector("[data-preview-count]");
    var status = this.preview.querySelector("[data-preview-status]");
    var error = this.preview.querySelector("[data-preview-error]");
    var table = this.preview.querySelector("[data-preview-sample]");
    status.textContent = this.t.loading;
    var token = this.form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(this.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
      body: JSON.stringify({rule: rule})
    })
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (answer) {
        if (ticket !== self.request) return;  // a newer rule was sent meanwhile
        self.tree.querySelectorAll(".invalid").forEach(function (n) { n.classList.remove("invalid"); });
        status.textContent = self.t.matching;
        if (!answer.ok) {
          count.textContent = "—";
          error.textContent = answer.body.error.message;
          error.hidden = false;
          table.hidden = true;
          self.markInvalid(answer.body.error.path);
          return;
        }
        error.hidden = true;
        count.textContent = answer.body.count.toLocaleString();
        var body = table.querySelector("tbody");
        body.replaceChildren.apply(body, answer.body.sample.map(function (c) {
          return el("tr", {}, [c.external_id, c.name, c.tier, c.rfm_segment, c.lifecycle_stage,
            c.monetary === null ? "—" : Number(c.monetary).toFixed(2)].map(function (v, i) {
            return el("td", {text: v === "" || v === null ? "—" : String(v), className: i === 5 ? "money" : ""});
          }));
        }));
        table.hidden = answer.body.sample.length === 0;
      })
      .catch(function () {
        if (ticket !== self.request) return;
        status.textContent = "";
        error.textContent = self.t.failed;
        error.hidden = false;
      });
  };

  Builder.prototype.markInvalid = function (path) {
    if (!path) return;
    var best = null;
    this.tree.querySelectorAll("[data-path]").forEach(function (node) {
      var p = node.dataset.path;
      if ((path === p || path.indexOf(p + ".") === 0 || path.indexOf(p + "[") === 0) &&
          (!best || p.length > best.dataset.path.length)) best = node;
    });
    if (best) best.classList.add("invalid");
  };

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("segment-language");
    if (!source) return;
    var lang = JSON.parse(source.textContent);
    document.querySelectorAll("form[data-segment-builder]").forEach(function (form) {
      new Builder(form, lang);
    });
  });
})();
