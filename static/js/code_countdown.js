// The "resend the code" button waits out the 60 s between two codes: disabled, with the seconds
// left, then usable again. The server keeps the same rule; this only saves a refused click.
(function () {
  "use strict";
  function start(button) {
    var left = parseInt(button.getAttribute("data-countdown") || "0", 10);
    var label = button.getAttribute("data-label") || button.textContent;
    var wait = button.getAttribute("data-wait") || "%s";
    function tick() {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.disabled = true;
      button.textContent = wait.replace("%s", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-countdown]");
    for (var i = 0; i < buttons.length; i += 1) start(buttons[i]);
  });
})();
