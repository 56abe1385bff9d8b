// The phone menu. Without JavaScript the header's menu link goes down to the footer's
// navigation; with it, the link shows and hides the header's list in place. This toggle was all
// that Bootstrap's script (80 KB with Popper) did here, and every page downloaded and ran it for
// that: these few lines do the same.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-menu-toggle]");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  event.preventDefault();
  toggle.setAttribute("aria-expanded", String(menu.classList.toggle("show")));
});

// The link says it is a button, so Space presses it as it would a button.
document.addEventListener("keydown", function (event) {
  var toggle = event.key === " " && event.target.closest("[data-menu-toggle]");
  if (toggle) {
    event.preventDefault();
    toggle.click();
  }
});
