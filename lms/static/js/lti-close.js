// LTI Dynamic Registration: tell the platform's page that registration is over (it closes the frame).
document.addEventListener("DOMContentLoaded", () => {
  (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
});
