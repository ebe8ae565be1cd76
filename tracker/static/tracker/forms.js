// Two helps for the admin's own forms; each form works without them, the server checking the
// same. An error summary takes the focus when the page comes back with errors, so that a screen
// reader reads it and the eye finds it. A file input with data-max-bytes refuses a file over the
// limit as soon as it is chosen, and the form is not sent with one: nothing is uploaded for
// nothing.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-takes-focus]");
  if (summary) {
    summary.focus();
  }

  const format = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);

  for (const input of document.querySelectorAll("input[type=file][data-max-bytes]")) {
    const limit = Number(input.dataset.maxBytes);
    const message = document.createElement("p");
    message.className = "errornote kipplan-file-error";
    message.setAttribute("role", "alert");
    message.hidden = true;
    input.after(message);
    const tooLarge = () => [...input.files].filter((file) => file.size > limit);
    const check = () => {
      const refused = tooLarge();
      message.textContent = refused.map((file) => format(input.dataset.tooLarge, {
        name: file.name, size: (file.size / 1048576).toFixed(1),
      })).join(" ");
      message.hidden = refused.length === 0;
      input.setAttribute("aria-invalid", refused.length ? "true" : "false");
      return refused.length === 0;
    };
    input.addEventListener("change", check);
    input.form.addEventListener("submit", (event) => {
      if (!check()) {
        event.preventDefault();
        input.focus();
      }
    });
  }
});
