// The report form's live preview: as the budget executed is typed, say what it comes to in
// 억원 (billions of won in English) and as a share of the task's budget. The form works without
// it; the server says the same beside the field when the form comes back.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const amount = document.querySelector("input[data-preview]");
  const unit = document.getElementById("id_budget_unit");
  if (!amount || !unit) {
    return;
  }
  const units = JSON.parse(amount.dataset.units);
  const budget = Number(amount.dataset.budget);
  const scale = Number(amount.dataset.scale);
  const preview = document.createElement("output");
  preview.className = "help kipplan-preview";
  preview.setAttribute("for", `${amount.id} ${unit.id}`);
  preview.setAttribute("aria-live", "polite");
  unit.closest(".form-row").append(preview);

  const format = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, name) => values[name]).replace(/%%/g, "%");

  const update = () => {
    const text = amount.value.replace(/[,\s]/g, "");
    const typed = Number(text);
    if (text === "" || !Number.isFinite(typed) || typed < 0) {
      preview.textContent = "";
      return;
    }
    const won = typed * (units[unit.value] || 1);
    const executed = format(amount.dataset.amountFormat, {
      amount: (won / scale).toLocaleString("en-US", {maximumFractionDigits: 1}),
    });
    const share = budget ? Math.floor((won * 100) / budget) : 0;
    preview.textContent = format(amount.dataset.preview, {executed, share});
  };
  amount.addEventListener("input", update);
  unit.addEventListener("change", update);
  update();
});
