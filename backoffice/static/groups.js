/* The customer-group criteria editor: rule rows with add/remove, AND/OR, nested groups, live preview.
 *
 * The form posts the criteria as JSON in the #criteria textarea; this script
 * hides the textarea, shows a structured editor built from it, and writes the
 * textarea again on every change.  Without JavaScript the textarea is the
 * editor.  The server validates everything again and reports mistakes by path
 * ("criteria.rules.1.value"), which are shown under the matching row.
 */
(function () {
  "use strict";

  const editor = document.getElementById("criteria-editor");
  const raw = document.getElementById("criteria");
  const configNode = document.getElementById("criteria-config");
  if (!editor || !raw || !configNode) return;
  const config = JSON.parse(configNode.textContent);
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const previewBox = document.getElementById("preview");
  const previewButton = document.getElementById("preview-button");
  // Texts are msgids, translated from the catalogue the page embeds (the page's language).
  const TEXTS = JSON.parse((document.getElementById("script-texts") || {}).textContent || "{}");
  const LANG = document.documentElement.lang || "sv";
  function t(text, values) {
    const found = TEXTS[text] || text;
    return values ? found.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all)) : found;
  }
  const ORIGINS = { kiosk: t("kiosk"), mobile: t("phone form"), cashier: t("cashier"), import: t("import"),
                    admin: t("back office"), api: t("POS integration") };
  function originName(origin) { return ORIGINS[origin] || origin; }

  let model;
  try {
    model = raw.value.trim() ? JSON.parse(raw.value) : null;
  } catch (err) {
    return; // not JSON: leave the textarea as the editor, the server says what is wrong
  }
  let errors = JSON.parse(editor.dataset.errors || "{}");

  const DEFAULTS = {
    none: null, text: "", texts: [], age: 18, ages: [18, 30], days: 30, bool: true,
    postcode: "", postcodes: [], origin: "kiosk", origins: ["kiosk"],
    date: new Date().toISOString().slice(0, 10),
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function select(options, value, label, onchange) {
    const node = el("select", { "aria-label": label, onchange });
    for (const [key, text] of options) node.append(el("option", { value: key, text, selected: key === value }));
    return node;
  }

  function kindOf(rule) {
    return (config.fields[rule.field] || {})[rule.op] || "none";
  }

  function newRule(field) {
    const op = config.op_order[field][0];
    const rule = { field, op };
    const value = DEFAULTS[config.fields[field][op]];
    if (value !== null) rule.value = Array.isArray(value) ? value.slice() : value;
    return rule;
  }

  function asNumber(text) {
    return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  }

  function asList(text) {
    return text.split(",").map((part) => part.trim()).filter(Boolean);
  }

  function datalist(name) {
    const id = `suggest-${name}`;
    if (!document.getElementById(id)) {
      const list = el("datalist", { id });
      for (const option of config.suggestions[name] || []) list.append(el("option", { value: option }));
      editor.append(list);
    }
    return id;
  }

  /* ---------- the value widget of one rule, by the kind of value its operator takes ---------- */

  function valueWidget(rule) {
    const kind = kindOf(rule);
    const label = t("{field} value", { field: config.field_labels[rule.field] });
    const set = (value) => { rule.value = value; save(); };
    const input = (attrs, read) => el("input", { ...attrs, "aria-label": label, oninput: (e) => set(read(e.target.value)) });
    const list = rule.field === "tag" || rule.field === "label" ? datalist(rule.field) : null;
    switch (kind) {
      case "none":
        delete rule.value;
        return null;
      case "text":
      case "postcode":
        return input({ value: rule.value ?? "", list, placeholder: kind === "postcode" ? "113 45" : "" }, (v) => v);
      case "texts":
      case "postcodes":
        return input({ value: (rule.value || []).join(", "), list, placeholder: t("one, two, three") }, asList);
      case "age":
      case "days":
        return input({ value: rule.value ?? "", inputmode: "numeric", class: "narrow-input" }, asNumber);
      case "ages": {
        const pair = Array.isArray(rule.value) ? rule.value.slice() : [18, 30];
        rule.value = pair;
        const part = (index) => el("input", {
          value: pair[index], inputmode: "numeric", class: "narrow-input",
          "aria-label": index ? t("Highest age") : t("Lowest age"),
          oninput: (e) => { pair[index] = asNumber(e.target.value); set(pair); },
        });
        return el("span", { class: "pair" }, part(0), el("span", { text: t("and") }), part(1));
      }
      case "date":
        return input({ type: "date", value: rule.value ?? "" }, (v) => v);
      case "bool":
        return select([["true", t("yes")], ["false", t("no")]], String(rule.value !== false), label,
          (e) => set(e.target.value === "true"));
      case "origin":
        return select(config.origins.map((o) => [o, originName(o)]), rule.value, label, (e) => set(e.target.value));
      case "origins": {
        const chosen = new Set(rule.value || []);
        const box = el("span", { class: "choices" });
        for (const origin of config.origins) {
          const tick = el("input", {
            type: "checkbox", checked: chosen.has(origin),
            onchange: (e) => { e.target.checked ? chosen.add(origin) : chosen.delete(origin); set([...chosen]); },
          });
          box.append(el("label", { class: "check small" }, tick, el("span", { text: originName(origin) })));
        }
        return box;
      }
      default:
        return null;
    }
  }

  /* ---------- rows and groups ---------- */

  function errorsAt(path, exact) {
    return Object.entries(errors)
      .filter(([key]) => key === path || (!exact && key.startsWith(path + ".") && !/\.rules\.\d/.test(key.slice(path.length))))
      .map(([, text]) => el("p", { class: "field-error", text }));
  }

  function ruleRow(rule, path, remove) {
    const fieldSelect = select(config.field_order.map((f) => [f, config.field_labels[f]]), rule.field, t("Field"), (e) => {
      Object.keys(rule).forEach((key) => delete rule[key]);
      Object.assign(rule, newRule(e.target.value));
      render();
    });
    const opSelect = select(
      (config.op_order[rule.field] || []).map((op) => [op, config.op_labels[op] || op]), rule.op, t("Operator"),
      (e) => {
        const before = kindOf(rule);
        rule.op = e.target.value;
        if (kindOf(rule) !== before) {
          const value = DEFAULTS[kindOf(rule)];
          if (value === null) delete rule.value; else rule.value = Array.isArray(value) ? value.slice() : value;
        }
        render();
      },
    );
    const plan = rule.field === "membership" ? el("input", {
      value: rule.plan || "", placeholder: t("any plan"), list: datalist("plan"), class: "plan-input", "aria-label": t("Plan"),
      oninput: (e) => { if (e.target.value.trim()) rule.plan = e.target.value; else delete rule.plan; save(); },
    }) : null;
    const row = el("div", { class: "rule-row", "data-path": path },
      fieldSelect, plan, opSelect, valueWidget(rule),
      el("button", { type: "button", class: "btn btn-small btn-danger-outline", "aria-label": t("Remove rule"), text: "✕",
                     onclick: remove }));
    return el("li", { class: "rule" }, row, ...errorsAt(path, false));
  }

  function groupBox(group, path, depth, remove) {
    const match = select([["all", t("all of these rules (AND)")], ["any", t("any of these rules (OR)")]], group.match,
      t("Match"), (e) => { group.match = e.target.value; save(); });
    const rules = el("ul", { class: "rules" });
    group.rules.forEach((rule, index) => {
      const childPath = `${path}.rules.${index}`;
      const drop = () => { group.rules.splice(index, 1); render(); };
      rules.append("match" in rule ? el("li", { class: "rule" }, groupBox(rule, childPath, depth + 1, drop))
                                  : ruleRow(rule, childPath, drop));
    });
    const add = el("div", { class: "rule-actions" },
      el("button", { type: "button", class: "btn btn-small btn-secondary", text: t("+ Rule"),
                     onclick: () => { group.rules.push(newRule("tag")); render(); } }),
      depth < config.max_depth ? el("button", {
        type: "button", class: "btn btn-small btn-secondary", text: t("+ Group of rules"),
        onclick: () => { group.rules.push({ match: group.match === "all" ? "any" : "all", rules: [newRule("tag")] }); render(); },
      }) : null,
      remove ? el("button", { type: "button", class: "btn btn-small btn-danger-outline",
                              text: depth === 1 ? t("Remove all criteria") : t("Remove group"), onclick: remove }) : null);
    return el("fieldset", { class: `rule-group depth-${depth}`, "data-path": path },
      el("legend", {}, el("span", { text: t("Customers who meet") + " " }), match),
      ...errorsAt(path, false), rules, add);
  }

  function render() {
    for (const node of Array.from(editor.children)) if (node.tagName !== "DATALIST") node.remove();
    if (model === null) {
      editor.append(el("div", { class: "no-criteria" },
        el("p", { text: t("Only customers added by hand are members.") }),
        el("button", { type: "button", class: "btn btn-secondary", text: t("+ Add criteria"),
                       onclick: () => { model = { match: "all", rules: [newRule("tag")] }; render(); } })));
    } else {
      editor.append(groupBox(model, "criteria", 1, () => { model = null; render(); }));
    }
    save();
  }

  function save() {
    raw.value = model === null ? "" : JSON.stringify(model);
  }

  /* ---------- preview: how many match, and ten names, before saving ---------- */

  async function preview(event) {
    event.preventDefault();
    save();
    previewBox.hidden = false;
    if (model === null) {
      previewBox.replaceChildren(el("p", {}, el("strong", { text: t("Only customers added by hand.") })));
      return;
    }
    previewBox.replaceChildren(el("p", { class: "muted", text: t("Counting…") }));
    previewButton.disabled = true;
    try {
      const response = await fetch("/api/v1/groups/preview", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ criteria: model }),
      });
      const body = await response.json();
      if (!response.ok) {
        errors = {};
        for (const problem of (body.error && body.error.fields) || []) {
          errors[problem.field.replace(/^criteria\.criteria/, "criteria")] = t(problem.message);
        }
        render();
        previewBox.replaceChildren(el("p", { class: "field-error", text: t("Check the rules marked in red.") }));
        return;
      }
      errors = {};
      render();
      // replaceChildren(..., null) would print "null": the example line is left out when nothing matches.
      const count = Number(body.count) || 0;
      const names = (body.sample || []).map((c) => c.name).filter(Boolean).join(", ");
      previewBox.replaceChildren(
        el("p", {}, el("strong", { class: "preview-count", text: count.toLocaleString(LANG) }),
           document.createTextNode(" " + t("customers match today."))),
        ...(names ? [el("p", { class: "muted small", text: t("For example: {sample}", { sample: names }) })] : []));
    } catch (err) {
      previewBox.replaceChildren(el("p", { class: "field-error", text: t("The preview could not be fetched; try again.") }));
    } finally {
      previewButton.disabled = false;
    }
  }

  document.getElementById("criteria-raw").hidden = true;
  const problems = document.getElementById("criteria-problems");
  if (problems) problems.hidden = true;
  editor.hidden = false;
  if (previewButton) previewButton.addEventListener("click", preview);
  render();
})();
