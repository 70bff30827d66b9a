// "Use this category" beside the new-request form: sets the category select to the
// suggestion and lets the form know (its related guidance follows the change).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-use-category]");
  if (!button) return;
  const select = document.getElementById("id_category");
  if (!select) return;
  select.value = button.dataset.useCategory;
  select.dispatchEvent(new Event("change", { bubbles: true }));
  select.focus();
});
