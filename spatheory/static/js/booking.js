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

// Choosing a massage reloads its lengths. A length picked while that request was on its way
// stays picked when the new lengths arrive, if the massage offers it.
var pickedBeforeSwap = null;
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail && event.detail.target;
  if (target && target.id === "id_minutes_group") {
    var picked = target.querySelector("input[name='minutes']:checked");
    pickedBeforeSwap = picked ? picked.value : null;
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail && event.detail.target;
  if (!pickedBeforeSwap || !target || target.id !== "id_minutes_group") {
    return;
  }
  var group = document.getElementById("id_minutes_group");
  var option = group && group.querySelector(
    "input[name='minutes'][value='" + CSS.escape(pickedBeforeSwap) + "']"
  );
  if (option) {
    option.checked = true;
  }
  pickedBeforeSwap = null;
});
