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
  function toast(text, kind) { if (shared().toast) shared().toast(text, kind); }
  function translated(text) { return shared().t ? shared().t(text) : text; }  // the services' refusals
  function refreshPanel() { if (shared().refreshPanel) shared().refreshPanel(); }
  function updateEmpty() { root.classList.toggle("has-prompts", prompts.children.length > 0); }

  // No texts of its own: what it shows comes rendered from the server, or is a refusal the page translates.
  function item500() { return translated("Something went wrong on the server; try again."); }

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
      const failure = new Error(translated(error.message || "") || item500());
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

  /* A replace the cashier asked for by hand (search, then Connect, on a sale that has a customer):
   * the server renders the question like any other prompt, in the page's language. */
  async function askReplace(detail) {
    const key = `local:${detail.sale}:${detail.customer}`;
    if (findPrompt(key)) return;
    const response = await fetch(`/console/${registerId}/replace/${encodeURIComponent(detail.customer)}`,
      { credentials: "same-origin", headers: { "X-Fragment": "1" } });
    if (response.status !== 200 || findPrompt(key)) return;
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const item = holder.content.querySelector("[data-connection]");
    if (!item) return;
    item.classList.add("prompt-new");
    prompts.prepend(item);
    updateEmpty();
  }

  async function answer(item, action) {
    const reference = item.dataset.connection;
    if (reference.startsWith("local:")) {
      if (action === "accept") {
        await send("PUT", `/api/v1/sales/${encodeURIComponent(item.dataset.sale)}/customer`,
          { customer: item.dataset.customer, replace: true, replaces: item.dataset.replaces });
        toast(item.dataset.acceptedText, "ok");
        refreshPanel();
      } else {
        toast(item.dataset.refusedText, "ok");
      }
      removeConnectionPrompt(reference);
      return;
    }
    const done = await send("POST",
      `/api/v1/console/${registerId}/prompts/${encodeURIComponent(reference)}/${action}`);
    removeConnectionPrompt(reference);
    if (action === "accept") {
      toast(done.outcome === "no_sale" ? item.dataset.noSaleText : item.dataset.acceptedText, "ok");
      refreshPanel();
    } else {
      toast(item.dataset.refusedText, "ok");
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
  document.addEventListener("console:replace", (event) => { askReplace(event.detail).catch(() => {}); });
  new MutationObserver(dropStaleConnected).observe(document.getElementById("panel-wrap"), { childList: true });
  setInterval(dropExpired, 5000);
})();
