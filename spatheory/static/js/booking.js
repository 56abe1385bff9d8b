// After htmx swaps new content in (the times for another day or week), move keyboard focus to
// the new content's heading, marked data-focus-after-swap with tabindex="-1", so screen
// readers announce it and the next Tab continues from there instead of the top of the page.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail && event.detail.target;
  if (!target || !target.id) {
    return;
  }
  var heading = document.querySelector("#" + CSS.escape(target.id) + " [data-focus-after-swap]");
  if (heading) {
    heading.focus();
  }
});
