/* The cashier console: live prompts from the register's event stream, scans, connect, link, track.
 *
 * Prompts never show twice: events are applied in id order and an id already
 * seen is ignored; registration prompts are also keyed by their reference,
 * because the page renders the pending ones itself and the stream may repeat
 * one created while the page was loading.
 *
 * Prompt cards: a registration's card is rendered by the server (the same
 * macro as on page load) and fetched when its event arrives; newest first, the
 * newest person prompt highlighted.  Ages and countdowns tick every second on
 * the server's clock (the page carries the server's time).  Abort takes effect
 * after a few seconds in which an Undo toast can take it back.  Words the
 * script puts together are t("English") texts, translated from the page's catalogue.
 */
(function () {
  "use strict";

  const root = document.getElementById("console");
  if (!root) return;
  const registerId = root.dataset.register;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const BURST_MS = 150;      // a scanner types a whole payload faster than this between keys
  const LIVE_SEARCH_MS = 300;
  const INFO_SECONDS = 20;
  const UNDO_MS = 6000;       // an abort can be taken back this long
  // The server's clock: its time when it rendered the page, against when the response began to arrive here.
  const navigation = (performance.getEntriesByType && performance.getEntriesByType("navigation")[0]) || null;
  const arrived = navigation ? performance.timeOrigin + navigation.responseStart : Date.now();
  let serverOffset = (Date.parse(root.dataset.serverNow || "") - arrived) || 0;
  const serverNow = () => Date.now() + serverOffset;
  const pendingAborts = new Map();  // registration reference -> { timer, item, box }

  let lastEventId = Number(root.dataset.after || 0);
  let mode = { kind: "connect" };
  let dialogMode = { kind: "create" };
  let source = null;
  let sessionOver = false;
  const resolved = new Set();

  const $ = (selector, scope) => (scope || document).querySelector(selector);
  const prompts = $("#prompts");
  const scan = $("#scan");
  const results = $("#results");
  const dialog = $("#customer-dialog");
  const form = $("#customer-form");

  // The page's language: the texts below are msgids, translated from the catalogue the page embeds.
  const TEXTS = JSON.parse(($("#script-texts") || {}).textContent || "{}");
  function t(text, values) {
    const found = TEXTS[text] || text;
    return values ? found.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all)) : found;
  }

  const MESSAGES = {
    0: t("The server cannot be reached. Check the network and try again."),
    401: t("Your session has ended; sign in again."),
    403: t("You are not allowed to do this."),
    404: t("That no longer exists; it may have been handled at another till."),
    409: t("That has already been done."),
    429: t("Too many requests; wait a moment and try again."),
    500: t("Something went wrong on the server; try again."),
  };

  // What the server said, in the page's language: outcomes by their kind, refusals by their message.
  function outcomeText(outcome) {
    const name = (outcome.customer && outcome.customer.name) || "";
    switch (outcome.outcome) {
      case "connected": return t("Connected {name}.", { name });
      case "no_open_sale": return t("{name} found. Open a sale to connect them.", { name });
      case "card_linked": return t("Card {card} is now linked to {name}.", { card: outcome.card, name });
      case "link_card": return t("Card {card} is not linked yet. Find the customer and press Link card.",
        { card: outcome.card });
      case "create": return t("Not a customer yet. Check the details and press Create customer.");
      case "prompted": return outcome.current
        ? t("{current} is connected to this sale. Replace with {name}? Answer the prompt.",
          { current: outcome.current.name, name })
        : t("This code only partly matches a customer. Check the prompt before connecting anyone.");
      default: return t(outcome.message || "");
    }
  }

  /* ---------- talking to the server ---------- */

  class Refusal extends Error {
    constructor(message, code, status, fields) {
      super(message);
      this.code = code;
      this.status = status;
      this.fields = fields || [];
    }
  }

  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Refusal(MESSAGES[0], "network", 0);
    }
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      const error = (data && data.error) || {};
      if (response.status === 401) sessionEnded();
      const refusal = new Refusal(error.message ? t(error.message) : MESSAGES[response.status] || MESSAGES[500],
        error.code || "error", response.status, error.fields);
      refusal.current = error.current;  // customer_already_connected: who is on the sale
      throw refusal;
    }
    return data;
  }

  async function fragment(path) {
    const sent = Date.now();
    const response = await fetch(path, { credentials: "same-origin", headers: { "X-Fragment": "1" } });
    const stamped = Date.parse(response.headers.get("X-Server-Time") || "");
    if (!isNaN(stamped)) serverOffset = stamped - (sent + Date.now()) / 2;  // a fresher reading of the server's clock
    if (response.status === 401) { sessionEnded(); throw new Refusal(MESSAGES[401], "session_expired", 401); }
    if (!response.ok) throw new Refusal(t(await response.text()) || MESSAGES[500], "error", response.status);
    return response.text();
  }

  /* ---------- feedback ---------- */

  function toast(text, kind) {
    const box = document.createElement("div");
    box.className = "toast toast-" + (kind || "ok");
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.textContent = text;
    $("#toasts").appendChild(box);
    setTimeout(() => box.classList.add("toast-out"), 4500);
    setTimeout(() => box.remove(), 5000);
  }

  function scanMessage(text, kind) {
    const box = $("#scan-message");
    box.hidden = !text;
    box.textContent = text || "";
    box.className = "scan-message" + (kind ? " scan-" + kind : "");
  }

  function setLive(state, text) {
    const live = $("#live");
    live.dataset.state = state;
    live.textContent = text;
  }

  function sessionEnded() {
    if (sessionOver) return;
    sessionOver = true;
    if (source) source.close();
    $("#session-banner").hidden = false;
    setLive("off", t("Signed out"));
  }

  function updateEmpty() {
    const shown = Array.from(prompts.children).filter((el) => !el.hidden);
    root.classList.toggle("has-prompts", shown.length > 0);
    // The newest prompt about a person is most likely the customer at the till: highlight it.
    const people = shown.filter((el) => el.matches(".prompt-registration, .prompt-card, .prompt-connection"));
    people.forEach((el, index) => el.classList.toggle("prompt-newest", index === 0 && people.length > 1));
  }

  /* ---------- ages and countdowns, every second ---------- */

  function clockTime(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    const minutes = Math.floor(seconds / 60);
    return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function ago(ms) {
    const minutes = Math.floor(ms / 60000);
    if (minutes < 1) return t("just now");
    if (minutes < 60) return t("{n} min ago", { n: minutes });
    return t("{n} h ago", { n: Math.floor(minutes / 60) });
  }

  function tickTimes() {
    const now = serverNow();
    prompts.querySelectorAll(".prompt-age[data-since]").forEach((el) => {
      const since = Date.parse(el.dataset.since);
      if (isNaN(since)) return;
      if (el.dataset.clock === undefined) el.dataset.clock = el.textContent.trim();
      const clock = el.dataset.clock;
      el.textContent = clock ? `${clock} · ${ago(now - since)}` : ago(now - since);
    });
    prompts.querySelectorAll(".prompt-expiry[data-until]").forEach((el) => {
      const until = Date.parse(el.dataset.until);
      if (isNaN(until)) return;
      const left = until - now;
      const item = el.closest(".prompt");
      if (left <= 0) {
        if (item && item.matches(".prompt-lockout")) { item.remove(); updateEmpty(); return; }
        el.textContent = t("expired");
        if (item) item.classList.add("prompt-expired");
        return;
      }
      el.textContent = (el.dataset.template === "unlocks" ? t("unlocks in {time}", { time: clockTime(left) })
        : t("expires in {time}", { time: clockTime(left) }));
      el.classList.toggle("soon", left < 60000);
    });
  }

  /* ---------- the sale panel ---------- */

  function panel() { return $("#panel"); }

  let panelRefresh = null;
  function refreshPanel() {
    // Several events in a burst (sale updated, customer connected) make one request.
    if (panelRefresh) return panelRefresh;
    panelRefresh = new Promise((resolve) => setTimeout(resolve, 60))
      .then(() => fragment(`/console/${registerId}/panel`))
      .then((html) => { $("#panel-wrap").innerHTML = html; })
      .catch((err) => { if (err.status !== 401) toast(err.message, "error"); })
      .finally(() => { panelRefresh = null; });
    return panelRefresh;
  }

  /* ---------- prompts ---------- */

  function fromTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  function findPrompt(attribute, value) {
    return Array.from(prompts.children).find((el) => el.dataset[attribute] === value) || null;
  }

  async function addRegistrationPrompt(data) {
    const reference = data.registration;
    if (!reference || resolved.has(reference) || findPrompt("registration", reference)) return;
    let html;
    try {
      html = await fragment(`/console/${registerId}/prompts/registrations/${encodeURIComponent(reference)}`);
    } catch (err) {
      if (err.status !== 401 && err.status !== 404) toast(err.message, "error");
      return;
    }
    // Resolved, or shown by a faster copy of the event, while the card was on its way.
    if (!html.trim() || resolved.has(reference) || findPrompt("registration", reference)) return;
    const holder = document.createElement("ul");
    holder.innerHTML = html;
    const item = holder.firstElementChild;
    if (!item) return;
    item.classList.add("prompt-new");
    placeByArrival(item);
    tickTimes();
    updateEmpty();
  }

  // Newest first by when the server took the request: cards fetched at once can come back in any order.
  function placeByArrival(item) {
    const at = Date.parse(item.dataset.created || "");
    const dated = Array.from(prompts.children).filter((el) => !isNaN(Date.parse(el.dataset.created || "")));
    const older = isNaN(at) ? null : dated.find((el) => Date.parse(el.dataset.created) < at);
    if (older) prompts.insertBefore(item, older);
    else if (!isNaN(at) && dated.length) dated[dated.length - 1].after(item);
    else prompts.prepend(item);
  }

  function removeRegistrationPrompt(reference) {
    resolved.add(reference);
    const waiting = pendingAborts.get(reference);
    if (waiting) { clearTimeout(waiting.timer); waiting.box.remove(); pendingAborts.delete(reference); }
    const item = findPrompt("registration", reference);
    if (item) item.remove();
    updateEmpty();
  }

  /* ---------- abort, with a few seconds to undo it ---------- */

  function undoToast(text, onUndo) {
    const box = fromTemplate("tpl-undo");
    $(".toast-text", box).textContent = text;
    $("[data-undo]", box).addEventListener("click", onUndo);
    $("#toasts").appendChild(box);
    return box;
  }

  function abortLater(item) {
    const reference = item.dataset.registration;
    if (pendingAborts.has(reference)) return;
    const name = item.dataset.name || "";
    item.hidden = true;
    updateEmpty();
    const box = undoToast(t("Registration of {name} aborted.", { name }), () => {
      const waiting = pendingAborts.get(reference);
      if (!waiting) return;
      clearTimeout(waiting.timer);
      waiting.box.remove();
      pendingAborts.delete(reference);
      item.hidden = false;
      updateEmpty();
      toast(t("Abort undone: {name} is still waiting.", { name }), "ok");
    });
    const timer = setTimeout(() => abortNow(reference), UNDO_MS);
    pendingAborts.set(reference, { timer, item, box });
  }

  async function abortNow(reference) {
    const waiting = pendingAborts.get(reference);
    if (!waiting) return;
    pendingAborts.delete(reference);
    waiting.box.remove();
    try {
      await api("POST", `/api/v1/registrations/${encodeURIComponent(reference)}/abort`);
      removeRegistrationPrompt(reference);
      toast(t("Registration aborted; the customer's details were removed."), "ok");
    } catch (err) {
      if (["registration_confirmed", "registration_aborted", "registration_expired"].includes(err.code) ||
          err.status === 404) {
        removeRegistrationPrompt(reference);
      } else {
        waiting.item.hidden = false;
        updateEmpty();
      }
      toast(err.message || MESSAGES[500], "error");
    }
  }

  // Leaving the page does not take an abort back: what is still waiting is sent now.
  window.addEventListener("pagehide", () => {
    for (const [reference, waiting] of pendingAborts) {
      clearTimeout(waiting.timer);
      fetch(`/api/v1/registrations/${encodeURIComponent(reference)}/abort`, {
        method: "POST", credentials: "same-origin", keepalive: true,
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      });
    }
    pendingAborts.clear();
  });

  function addCardPrompt(code) {
    if (!code || findPrompt("card", code)) return;
    const item = fromTemplate("tpl-card");
    item.dataset.card = code;
    $(".prompt-code", item).textContent = code;
    const owner = panel().dataset.customerName;
    $(".prompt-detail", item).textContent = owner ? t("Press Link to give it to {name}.", { name: owner })
      : t("Press Link, then pick the customer.");
    $(".prompt-age", item).dataset.since = new Date(serverNow()).toISOString();
    prompts.prepend(item);
    tickTimes();
    updateEmpty();
  }

  function addInfoPrompt(key, text) {
    const existing = findPrompt("info", key);
    if (existing) existing.remove();
    const item = fromTemplate("tpl-info");
    item.dataset.info = key;
    $(".prompt-text", item).textContent = text;
    prompts.prepend(item);
    updateEmpty();
    setTimeout(() => { item.remove(); updateEmpty(); }, INFO_SECONDS * 1000);
  }

  function addLockoutPrompt(data) {
    const key = String(data.kiosk);
    const existing = findPrompt("lockout", key);
    if (existing) existing.remove();
    const item = fromTemplate("tpl-lockout");
    item.dataset.lockout = key;
    $(".prompt-kiosk", item).textContent = data.kiosk_name || t("The kiosk");
    // The server says the time on the shop's 24-hour clock; the page never formats a clock time itself.
    $(".prompt-until", item).textContent = data.until_local || "";
    $(".prompt-expiry", item).dataset.until = data.until || "";
    prompts.prepend(item);
    tickTimes();
    updateEmpty();
  }

  function removeLockoutPrompt(kiosk) {
    const item = findPrompt("lockout", String(kiosk));
    if (item) item.remove();
    updateEmpty();
  }

  /* ---------- the event stream ---------- */

  function handle(event) {
    const data = event.data || {};
    document.dispatchEvent(new CustomEvent("console:event", { detail: event }));  // connect.js: connection prompts
    switch (event.type) {
      case "registration_created":
        addRegistrationPrompt(data);
        break;
      case "registration_resolved":
        removeRegistrationPrompt(data.registration);
        if (data.status === "expired") toast(t("A registration request expired."), "warn");
        break;
      case "customer_connected": {
        const current = panel().dataset.sale;
        const text = data.sale && data.sale !== current && panel().dataset.closed === data.sale
          ? t("Receipt tracked to {name}", { name: data.name }) : t("Customer connected: {name}", { name: data.name });
        addInfoPrompt("connected:" + data.customer, text);
        refreshPanel();
        break;
      }
      case "kiosk_locked_out":
        addLockoutPrompt(data);
        break;
      case "kiosk_lockout_lifted":
        removeLockoutPrompt(data.kiosk);
        toast(t("{name} can be used again.", { name: data.kiosk_name || t("The kiosk") }), "ok");
        break;
      case "unlinked_card_shown":
        addCardPrompt(data.card);
        break;
      case "mobile_session_updated":
        $("#kiosk-status").textContent = data.status === "opened" ? t("A customer is filling in the phone form…") : "";
        break;
      case "sale_opened":
      case "sale_updated":
      case "sale_closed":
      case "customer_disconnected":
        refreshPanel();
        break;
      default:
        break;
    }
  }

  function listen() {
    if (sessionOver) return;
    // A new EventSource starts from what this page has seen; the browser's own
    // reconnects send Last-Event-ID, which the server prefers.
    source = new EventSource(`/console/${registerId}/events?after=${lastEventId}`);
    source.onopen = () => setLive("on", t("Live"));
    source.onmessage = (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (err) { return; }
      if (!event.id || event.id <= lastEventId) return;
      lastEventId = event.id;
      handle(event);
    };
    source.addEventListener("session", () => sessionEnded());
    source.onerror = () => {
      if (sessionOver) return;
      setLive("off", t("Reconnecting…"));
      if (source.readyState === EventSource.CLOSED) {
        // Refused outright (signed out, server restarting): find out which, then start again.
        setTimeout(() => {
          fragment(`/console/${registerId}/panel`)
            .then((html) => { $("#panel-wrap").innerHTML = html; listen(); })
            .catch((err) => { if (err.status !== 401) setTimeout(listen, 2000); });
        }, 1500);
      }
    };
  }

  /* ---------- modes: connect, link a card, track a receipt ---------- */

  function setMode(next) {
    mode = next;
    const banner = $("#mode-banner");
    const title = $("#mode-title");
    if (mode.kind === "link") {
      title.textContent = t("Link a card");
      $("#mode-text").textContent = t("Card {card}: search for the customer, then press Link card.", { card: mode.card });
    } else if (mode.kind === "track") {
      title.textContent = t("Track a receipt");
      $("#mode-text").textContent = t("Receipt #{receipt}: search for the customer, then press Track.",
        { receipt: mode.receipt });
    } else {
      title.textContent = t("Connect a customer");
    }
    banner.hidden = mode.kind === "connect";
    relabelResults();
    if (mode.kind !== "connect") scan.focus();
  }

  function relabelResults() {
    const label = { connect: t("Connect"), link: t("Link card"), track: t("Track") }[mode.kind];
    results.querySelectorAll('[data-action="pick"]').forEach((button) => { button.textContent = label; });
  }

  /* ---------- search and scan ---------- */

  let searchSerial = 0;
  async function search(query) {
    const serial = ++searchSerial;
    if (!query) { results.innerHTML = ""; return; }
    try {
      const html = await fragment(`/console/${registerId}/search?q=${encodeURIComponent(query)}`);
      if (serial === searchSerial) { results.innerHTML = html; relabelResults(); }
    } catch (err) {
      if (err.status !== 401) scanMessage(err.message, "error");
    }
  }

  async function submitScan() {
    const text = scan.value.trim();
    clearTimeout(liveTimer);
    if (!text) return;
    scanMessage("");
    if (mode.kind !== "connect") { search(text.split("\n")[0]); return; }
    try {
      const outcome = await api("POST", `/api/v1/console/${registerId}/scan`, { text });
      handleOutcome(outcome, text);
    } catch (err) {
      scanMessage(err.message, "error");
    }
  }

  function handleOutcome(outcome, text) {
    switch (outcome.outcome) {
      case "connected":
      case "card_linked":
        scan.value = "";
        results.innerHTML = "";
        setMode({ kind: "connect" });
        toast(outcomeText(outcome), "ok");
        refreshPanel();
        break;
      case "no_open_sale":
        scan.value = "";
        showOpenAndConnect(outcome);
        break;
      case "prompted":  // another customer is on the sale, or the card only partly matched: see the prompt
        scan.value = "";
        results.innerHTML = "";
        scanMessage(outcomeText(outcome), "info");
        break;
      case "link_card":
        scan.value = "";
        results.innerHTML = "";
        setMode({ kind: "link", card: outcome.card });
        scanMessage(outcomeText(outcome), "info");
        break;
      case "create":
        scan.value = "";
        openDialog({ kind: "create" }, outcome.prefill || {});
        scanMessage(outcomeText(outcome), "info");
        break;
      default:
        search(outcome.query || text);
    }
  }

  function showOpenAndConnect(outcome) {
    results.innerHTML = "";
    const box = document.createElement("div");
    box.className = "scan-message scan-info";
    box.textContent = (outcome.text || outcomeText(outcome)) + " ";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn";
    button.textContent = t("Open sale and connect");
    button.addEventListener("click", async () => {
      try {
        const sale = await api("POST", "/api/v1/sales", { register: String(registerId) });
        await api("PUT", `/api/v1/sales/${sale.reference}/customer`, { customer: outcome.customer.reference });
        results.innerHTML = "";
        toast(t("Connected {name}.", { name: outcome.customer.name }), "ok");
        refreshPanel();
      } catch (err) { toast(err.message, "error"); }
    });
    box.appendChild(button);
    results.appendChild(box);
  }

  // A keyboard-wedge scanner types the payload and presses Enter; a vCard or a
  // licence has line breaks, which arrive as Enter keys in the same burst.  So
  // Enter only marks the text as complete; it is sent once the keys stop.
  let burstTimer = null;
  let liveTimer = null;
  let enterPressed = false;

  function armBurst() {
    clearTimeout(burstTimer);
    burstTimer = setTimeout(() => {
      if (enterPressed) { enterPressed = false; submitScan(); }
    }, BURST_MS);
  }

  scan.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      scan.setRangeText("\n", scan.selectionStart, scan.selectionEnd, "end");
      enterPressed = true;
      clearTimeout(liveTimer);
      armBurst();
    }
  });
  scan.addEventListener("input", () => {
    armBurst();
    clearTimeout(liveTimer);
    const text = scan.value;
    if (!enterPressed && !text.includes("\n") && text.trim().length >= 2) {
      liveTimer = setTimeout(() => search(text.trim()), LIVE_SEARCH_MS);
    }
  });
  scan.addEventListener("paste", (event) => {
    const pasted = (event.clipboardData || window.clipboardData).getData("text");
    if (/[\r\n]/.test(pasted)) { enterPressed = true; clearTimeout(liveTimer); }
    armBurst();
  });
  $("#scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    enterPressed = false;
    submitScan();
  });

  /* ---------- the customer dialog: create, or complete a registration ---------- */

  function clearDialogErrors() {
    $("#dialog-error").hidden = true;
    form.querySelectorAll(".field-error").forEach((el) => { el.hidden = true; el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  function openDialog(next, values, hints) {
    dialogMode = next;
    form.reset();
    clearDialogErrors();
    form.querySelectorAll(".field-hint").forEach((el) => { el.hidden = true; el.textContent = ""; });
    for (const [name, value] of Object.entries(values || {})) {
      if (form.elements[name] && value) form.elements[name].value = value;
    }
    for (const [name, hint] of Object.entries(hints || {})) {
      const field = form.querySelector(`[data-field="${name}"] .field-hint`);
      if (field && hint) { field.textContent = hint; field.hidden = false; }
    }
    const completing = next.kind === "complete";
    $("#dialog-title").textContent = completing ? t("Complete: {name}", { name: next.name }) : t("Create customer");
    $("#dialog-lead").textContent = completing
      ? t("Filled in from the kiosk. Add what is missing; a blank field keeps what the customer gave.")
      : t("Enter at least a name. The customer is connected to the open sale.");
    $("#marketing-row").hidden = completing;
    form.querySelector('[data-field="birth_date"]').hidden = completing;
    if (!dialog.open) dialog.showModal();
    const first = Array.from(form.querySelectorAll("input")).find((input) => !input.value && input.type !== "checkbox");
    (first || form.elements.first_name).focus();
  }

  function formValues() {
    const out = {};
    for (const input of form.querySelectorAll("input[name]")) {
      if (input.type === "checkbox") continue;
      if (input.value.trim()) out[input.name] = input.value.trim();
    }
    return out;
  }

  // A refused field is named by its label ("Förnamn: ange ..."), never first_name, and marked where it is.
  const DUPLICATE_FIELDS = { duplicate_phone: "phone", duplicate_personal_id: "personal_id" };
  function lowerFirst(text) { return text.length > 1 && text[1] === text[1].toLowerCase() ? text[0].toLowerCase() + text.slice(1) : text; }
  function showFieldErrors(err) {
    const problems = (err.fields || []).map((p) => ({ field: p.field, message: t(p.message) }));
    if (!problems.length && DUPLICATE_FIELDS[err.code]) problems.push({ field: DUPLICATE_FIELDS[err.code], message: err.message });
    const summary = [];
    for (const problem of problems) {
      const holder = form.querySelector(`[data-field="${problem.field}"]`);
      if (!holder) { summary.push(problem.message); continue; }
      const box = $(".field-error", holder);
      box.id = `f-${problem.field}-error`;
      box.textContent = problem.message;
      box.hidden = false;
      const input = $("input", holder);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", box.id);
      summary.push(`${$("label", holder).textContent}: ${lowerFirst(problem.message)}`);
    }
    $("#dialog-error").textContent = summary.length ? summary.join("; ") : err.message;
    $("#dialog-error").hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearDialogErrors();
    const submit = $("#dialog-submit");
    submit.disabled = true;
    try {
      if (dialogMode.kind === "complete") {
        const edits = formValues();
        delete edits.birth_date;  // the registration keeps the birth date the kiosk read
        const done = await api("POST", `/api/v1/registrations/${encodeURIComponent(dialogMode.reference)}/complete`,
          edits);
        removeRegistrationPrompt(dialogMode.reference);
        toast(t("Created {name}.", { name: `${done.customer.first_name} ${done.customer.last_name}`.trim() }), "ok");
      } else {
        const body = formValues();
        body.marketing_consent = form.elements.marketing_consent.checked;
        const outcome = await api("POST", `/api/v1/console/${registerId}/customers`, body);
        toast(outcome.outcome === "connected" ? t("Created and connected {name}.", { name: outcome.customer.name })
          : t("Created {name}. No sale is open.", { name: outcome.customer.name }), "ok");
        scan.value = "";
        results.innerHTML = "";
        scanMessage("");
      }
      dialog.close();
      refreshPanel();
    } catch (err) {
      showFieldErrors(err);
    } finally {
      submit.disabled = false;
    }
  });

  async function completeRegistration(reference) {
    try {
      const view = await api("GET", `/api/v1/registrations/${encodeURIComponent(reference)}`);
      const fields = view.fields || {};
      const values = {};
      const hints = {};
      for (const [name, value] of Object.entries(fields)) {
        if (!value) continue;
        // Phone and personal ID arrive masked: shown as a hint, kept when left blank.
        if (name === "phone" || name === "personal_id") hints[name] = t("Given: {value} (leave blank to keep)", { value });
        else values[name] = value;
      }
      openDialog({ kind: "complete", reference, name: view.name }, values, hints);
    } catch (err) {
      toast(err.message, "error");
      if (err.status === 404 || err.status === 409) removeRegistrationPrompt(reference);
    }
  }

  /* ---------- buttons ---------- */

  async function pick(item) {
    const customer = item.dataset.customer;
    const name = item.dataset.name;
    if (mode.kind === "link") {
      const outcome = await api("POST", `/api/v1/console/${registerId}/cards/${encodeURIComponent(mode.card)}/link`,
        { customer });
      toast(t("Card {card} is now linked to {name}.", { card: outcome.card, name }) +
        (outcome.outcome === "connected" ? "" : " " + t("No sale is open.")), "ok");
    } else if (mode.kind === "track") {
      await api("PUT", `/api/v1/sales/${mode.sale}/customer`, { customer });
      toast(t("Receipt #{receipt} tracked to {name}.", { receipt: mode.receipt, name }), "ok");
    } else {
      const sale = panel().dataset.sale;
      if (!sale) { showOpenAndConnect({ customer: { reference: customer, name }, text: t("{name}: no sale is open.", { name }) });
        return;
      }
      try {
        await api("PUT", `/api/v1/sales/${sale}/customer`, { customer });
      } catch (err) {
        if (err.code !== "customer_already_connected") throw err;
        // The first connection stands: ask before replacing (connect.js shows the prompt).
        document.dispatchEvent(new CustomEvent("console:replace",
          { detail: { sale, customer, name, current: err.current || {} } }));
        results.innerHTML = "";
        return;
      }
      toast(t("Connected {name}.", { name }), "ok");
    }
    scan.value = "";
    results.innerHTML = "";
    scanMessage("");
    setMode({ kind: "connect" });
    refreshPanel();
  }

  const actions = {
    "open-sale": () => api("POST", "/api/v1/sales", { register: String(registerId) }).then(refreshPanel),
    "close-sale": (button) => api("POST", `/api/v1/sales/${button.dataset.sale}/close`).then(refreshPanel),
    "disconnect": (button) => api("DELETE", `/api/v1/sales/${button.dataset.sale}/customer`).then(refreshPanel),
    "track": (button) => setMode({ kind: "track", sale: button.dataset.sale, receipt: button.dataset.receipt }),
    "cancel-mode": () => { setMode({ kind: "connect" }); scanMessage(""); },
    "pick": (button) => pick(button.closest("[data-customer]")),
    "create-customer": () => openDialog({ kind: "create" }, {}),
    "create-from-search": () => {
      const words = scan.value.trim().split(/\s+/);
      openDialog({ kind: "create" }, { first_name: words[0] || "", last_name: words.slice(1).join(" ") });
    },
    "close-dialog": () => dialog.close(),
    "confirm": async (button) => {
      const reference = button.closest("[data-registration]").dataset.registration;
      const done = await api("POST", `/api/v1/registrations/${encodeURIComponent(reference)}/confirm`);
      removeRegistrationPrompt(reference);
      toast(t("Created {name}.", { name: `${done.customer.first_name} ${done.customer.last_name}`.trim() }), "ok");
      refreshPanel();
    },
    "complete": (button) => completeRegistration(button.closest("[data-registration]").dataset.registration),
    "abort": (button) => abortLater(button.closest("[data-registration]")),
    "lift-lockout": async (button) => {
      const item = button.closest("[data-lockout]");
      await api("POST", `/api/v1/console/${registerId}/kiosks/${encodeURIComponent(item.dataset.lockout)}/lockout/lift`);
      removeLockoutPrompt(item.dataset.lockout);
    },
    "link-prompt": async (button) => {
      const item = button.closest("[data-card]");
      const owner = panel().dataset.customerRef;
      if (owner) {
        const outcome = await api("POST", `/api/v1/console/${registerId}/cards/${encodeURIComponent(item.dataset.card)}/link`,
          { customer: owner });
        toast(t("Card {card} is now linked to {name}.", { card: outcome.card, name: panel().dataset.customerName }) +
          (outcome.outcome === "connected" ? "" : " " + t("No sale is open.")), "ok");
        refreshPanel();
      } else {
        setMode({ kind: "link", card: item.dataset.card });
      }
      item.remove();
      updateEmpty();
    },
    "dismiss": (button) => { button.closest(".prompt").remove(); updateEmpty(); },
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-action]");
    if (!button || !actions[button.dataset.action]) return;
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    try {
      await actions[button.dataset.action](button);
    } catch (err) {
      if (err.code === "registration_confirmed" || err.code === "registration_aborted" ||
          err.code === "registration_expired") {
        const item = button.closest("[data-registration]");
        if (item) removeRegistrationPrompt(item.dataset.registration);
      }
      toast(err.message || MESSAGES[500], "error");
    } finally {
      button.disabled = false;
    }
  });

  window.counterConsole = { toast, refreshPanel, t };  // for connect.js
  updateEmpty();
  tickTimes();
  setInterval(tickTimes, 1000);
  // Prompts other scripts add (connection prompts) take part in "newest" and the empty state too.
  new MutationObserver(() => { updateEmpty(); tickTimes(); }).observe(prompts, { childList: true });
  listen();
})();
