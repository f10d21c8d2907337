// densho console: the little behaviour plain HTML lacks. No framework, no build step.
"use strict";

// Forms that destroy something ask first (data-confirm="question").
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Auto-refresh: a checkbox #auto-refresh reloads the page every data-every seconds while
// checked; the choice is remembered per page.
window.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("auto-refresh");
  if (!box) return;
  const key = "densho-refresh:" + location.pathname;
  const saved = localStorage.getItem(key);
  if (saved !== null) box.checked = saved === "1";
  let timer = null;
  const arm = () => {
    clearTimeout(timer);
    if (box.checked) {
      timer = setTimeout(() => location.reload(), 1000 * Number(box.dataset.every || 5));
    }
  };
  box.addEventListener("change", () => {
    localStorage.setItem(key, box.checked ? "1" : "0");
    arm();
  });
  // Typing in a form: no reload under the user's fingers.
  document.addEventListener("focusin", (e) => {
    if (e.target.matches("input:not([type=checkbox]), textarea")) clearTimeout(timer);
  });
  arm();
});
