/* Connection prompts on the cashier console: replace the sale's customer, check a partial match, track a
 * closed receipt.  The server decides when to ask (backoffice/services/connections.py); this only shows
 * the question and sends the answer.  It follows the register's events through console.js
 * ("console:event"), and takes "Customer connected" cards away once they are no longer true.
 */
(function () {
  "use strict";

  const root = document.getElementById("console");
  if (!root) return;
  const registerId = root.dataset.register;
  const prompts = document.getElementById("prompts");
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const answered = new Set();

  function shared() { return window.counterConsole || {}; }
  // The page's language: the texts below are msgids, translated from the catalogue the page embeds.
  const TEXTS = JSON.parse((document.getElementById("script-texts") || {}).textContent || "{}");
  function t(text, values) {
    const found = TEXTS[text] || text;
    return values ? found.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all)) : found;
  }
  function toast(text, kind) { if (shared().toast) shared().toast(text, kind); }
  function refreshPanel() { if (shared().refreshPanel) shared().refreshPanel(); }
  function updateEmpty() { root.classList.toggle("has-prompts", prompts.children.length > 0); }

  async function send(method, path, body) {
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const failure = new Error(error.message ? t(error.message) : t("That did not work; try again."));
      failure.code = error.code || "error";
      failure.status = response.status;
      failure.detail = error;
      throw failure;
    }
    return data;
  }

  function findPrompt(reference) {
    return prompts.querySelector(`[data-connection="${CSS.escape(reference)}"]`);
  }

  async function addConnectionPrompt(reference) {
    if (!reference || answered.has(reference) || findPrompt(reference)) return;
    const response = await fetch(`/console/${registerId}/prompts/${encodeURIComponent(reference)}`,
      { credentials: "same-origin", headers: { "X-Fragment": "1" } });
    if (!response.ok || answered.has(reference) || findPrompt(reference)) return;
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const item = holder.content.querySelector("[data-connection]");
    if (!item) return;
    item.classList.add("prompt-new");
    prompts.prepend(item);
    updateEmpty();
  }

  function removeConnectionPrompt(reference) {
    answered.add(reference);
    const item = findPrompt(reference);
    if (item) item.remove();
    updateEmpty();
  }

  /* A replace the cashier asked for by hand (search, then Connect, on a sale that has a customer). */
  function askReplace(detail) {
    const key = `local:${detail.sale}:${detail.customer}`;
    if (findPrompt(key)) return;
    const item = document.createElement("li");
    item.className = "prompt prompt-connection prompt-replace prompt-new";
    item.dataset.connection = key;
    item.dataset.sale = detail.sale;
    item.dataset.customer = detail.customer;
    item.dataset.replaces = detail.current.reference;
    const icon = document.querySelector("[data-connection] .prompt-icon");
    item.innerHTML = `<div class="prompt-icon" aria-hidden="true">${icon ? icon.innerHTML : ""}</div>
      <div class="prompt-body"><p class="prompt-text"></p><p class="prompt-detail"><span class="prompt-source"></span></p></div>
      <div class="prompt-actions"><button class="btn" type="button" data-connect-action="accept"></button>
      <button class="btn btn-secondary" type="button" data-connect-action="refuse"></button></div>`;
    // Names go in as text, never as markup: the catalogue's sentence is split around them.
    const [before, middle, after] = t("Replace {current} with {name}?").split(/\{current\}|\{name\}/);
    const text = item.querySelector(".prompt-text");
    const current = document.createElement("strong"), chosen = document.createElement("strong");
    current.className = "prompt-current"; current.textContent = detail.current.name;
    chosen.className = "prompt-name"; chosen.textContent = detail.name;
    text.append(before || "", current, middle || "", chosen, after || "");
    item.querySelector(".prompt-source").textContent = t("Chosen at the till");
    item.querySelector('[data-connect-action="accept"]').textContent = t("Replace");
    item.querySelector('[data-connect-action="refuse"]').textContent = t("Keep {name}", { name: detail.current.name });
    prompts.prepend(item);
    updateEmpty();
  }

  async function answer(item, action) {
    const reference = item.dataset.connection;
    if (reference.startsWith("local:")) {
      if (action === "accept") {
        await send("PUT", `/api/v1/sales/${encodeURIComponent(item.dataset.sale)}/customer`,
          { customer: item.dataset.customer, replace: true, replaces: item.dataset.replaces });
        toast(t("Customer replaced."), "ok");
        refreshPanel();
      }
      removeConnectionPrompt(reference);
      return;
    }
    const done = await send("POST",
      `/api/v1/console/${registerId}/prompts/${encodeURIComponent(reference)}/${action}`);
    removeConnectionPrompt(reference);
    const name = done.customer ? done.customer.name : "";
    if (action === "accept") {
      toast(done.outcome === "no_sale" ? t("{name}: no sale is open.", { name }) : t("Connected {name}.", { name }), "ok");
      refreshPanel();
    } else {
      toast(done.current ? t("Kept {name}.", { name: done.current.name }) : t("{name} was not connected.", { name }), "ok");
    }
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-connect-action]");
    if (!button || button.disabled) return;
    const item = button.closest("[data-connection]");
    if (!item) return;
    event.preventDefault();
    button.disabled = true;
    try {
      await answer(item, button.dataset.connectAction);
    } catch (err) {
      if (err.status === 404 || err.status === 409) removeConnectionPrompt(item.dataset.connection);
      toast(err.message, "error");
    } finally {
      button.disabled = false;
    }
  });

  /* "Customer connected: X" cards go once X is no longer the customer shown. */
  function dropStaleConnected() {
    const panel = document.getElementById("panel");
    const current = panel ? panel.dataset.customerRef || "" : "";
    prompts.querySelectorAll('[data-info^="connected:"]').forEach((card) => {
      if (card.dataset.info !== `connected:${current}`) card.remove();
    });
    updateEmpty();
  }

  function dropExpired() {
    const now = Date.now();
    prompts.querySelectorAll("[data-connection][data-expires]").forEach((item) => {
      const until = Date.parse(item.dataset.expires);
      if (!isNaN(until) && until <= now) removeConnectionPrompt(item.dataset.connection);
    });
  }

  document.addEventListener("console:event", (event) => {
    const data = event.detail.data || {};
    if (event.detail.type === "connection_prompt") addConnectionPrompt(data.prompt).catch(() => {});
    else if (event.detail.type === "connection_prompt_resolved") removeConnectionPrompt(data.prompt);
  });
  document.addEventListener("console:replace", (event) => askReplace(event.detail));
  new MutationObserver(dropStaleConnected).observe(document.getElementById("panel-wrap"), { childList: true });
  setInterval(dropExpired, 5000);
})();
