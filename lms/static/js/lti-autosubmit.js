// Deep linking: send the signed response back to the platform at once (the button does it without JS).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-autosubmit]");
  if (form) form.submit();
});
