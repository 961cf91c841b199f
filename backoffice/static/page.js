// Behaviour every staff page shares, kept out of the HTML so that the Content-Security-Policy
// needs no inline script: "Go back" buttons and print buttons.
"use strict";
document.addEventListener("click", (event) => {
  const back = event.target.closest("[data-back]");
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
    return;
  }
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
