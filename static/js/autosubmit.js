// A <select data-autosubmit> submits its form when changed (the language switch): no inline
// handler, so the Content-Security-Policy can refuse every inline script without a nonce.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
});
