// Progressive enhancement only: every flow works as plain HTML forms without this file.
document.addEventListener("DOMContentLoaded", () => {
  // The region selector submits on change; its button is then not needed.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const element of document.querySelectorAll("[data-hidden-with-script]")) {
    element.hidden = true;
  }
  // Copy buttons (the account ID on the security page).
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.querySelector(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      await navigator.clipboard.writeText(source.textContent.trim());
      const label = button.textContent;
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }
  // The image picker's groups become tabs (without this script they stand one under another, all usable).
  for (const tablist of document.querySelectorAll("[data-picker-tabs]")) {
    const tabs = Array.from(tablist.querySelectorAll("[role=tab]"));
    const show = (chosen) => {
      for (const tab of tabs) {
        const selected = tab === chosen;
        tab.setAttribute("aria-selected", String(selected));
        tab.tabIndex = selected ? 0 : -1;
        document.getElementById(tab.dataset.group).hidden = !selected;
      }
    };
    for (const title of document.querySelectorAll("[data-picker-group] .group-title")) title.hidden = true;
    for (const tab of tabs) tab.addEventListener("click", () => show(tab));
    tablist.addEventListener("keydown", (event) => {
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = tabs[(tabs.indexOf(document.activeElement) + step + tabs.length) % tabs.length];
      show(next);
      next.focus();
      event.preventDefault();
    });
    tablist.hidden = false;
    show(tabs.find((tab) => tab.getAttribute("aria-selected") === "true") || tabs[0]);
  }
  // A page that shows images still being created refreshes itself until they are ready.
  if (document.querySelector(".status-creating")) {
    setTimeout(() => window.location.reload(), 3000);
  }
  // Move keyboard focus to the first error, so a screen reader and keyboard user land on it.
  const error = document.querySelector("[aria-invalid='true'], .field-error, #page-error");
  if (error && error.focus) {
    if (error.matches("input, select, textarea")) error.focus();
  }
});
