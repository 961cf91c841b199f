// The pairing page: asks every two seconds whether the kiosk has used the code, counts down to its expiry,
// and takes the QR away once it is spent (used or expired).
(function () {
  "use strict";
  const box = document.getElementById("pairing");
  if (!box) return;
  const status = document.getElementById("pairing-status");
  const code = document.getElementById("pairing-code");
  // The page's language: the texts below are msgids, translated from the catalogue the page embeds.
  const TEXTS = JSON.parse((document.getElementById("script-texts") || {}).textContent || "{}");
  function t(text, values) {
    const found = TEXTS[text] || text;
    return values ? found.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all)) : found;
  }
  let left = parseInt(box.dataset.secondsLeft || "0", 10);
  let done = status.dataset.status !== "waiting";

  function spent(text) {
    done = true;
    status.textContent = text;
    code.hidden = true;
  }

  function countdown() {
    if (done) return;
    left = Math.max(0, left - 1);
    const minutes = Math.floor(left / 60), seconds = String(left % 60).padStart(2, "0");
    status.textContent = t("Waiting for the kiosk to scan the code… {left} left.", { left: minutes + ":" + seconds });
    if (left === 0) spent(t("This code has expired. Make a new one."));
  }

  async function ask() {
    if (done) return;
    try {
      const answer = await fetch(box.dataset.statusUrl, {headers: {Accept: "application/json"}});
      if (!answer.ok) return;
      const pairing = await answer.json();
      if (pairing.status === "used") {
        spent(t("Used at {time}: {kiosk_name} is paired with {register_name}.",
          { time: pairing.used_at_local, kiosk_name: pairing.kiosk_name, register_name: pairing.register_name }));
        status.classList.add("ok");
      } else if (pairing.status === "expired") {
        spent(t("This code has expired. Make a new one."));
      }
    } catch (error) { /* the next question may get through */ }
  }

  if (done) { code.hidden = true; return; }
  countdown();
  setInterval(countdown, 1000);
  setInterval(ask, 2000);
})();
