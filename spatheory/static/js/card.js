// The card step: Stripe Elements' card field and the SetupIntent made for this booking. The
// card is confirmed with Stripe in the browser (3-D Secure included), then the form posts the
// SetupIntent's id; the server books only once Stripe says that SetupIntent succeeded.
(function () {
  "use strict";
  var step = document.querySelector("[data-card-step]");
  if (!step || typeof window.Stripe !== "function") {
    return;
  }
  var form = step.closest("form");
  var secret = step.getAttribute("data-client-secret");
  var mount = step.querySelector("[data-card-element]");
  var errors = step.querySelector("[data-card-errors]");
  var field = step.querySelector("[data-setup-intent]");
  if (!secret) {
    return;
  }
  step.querySelector("[data-card-needs-js]").hidden = true;
  mount.hidden = false;
  var stripe = window.Stripe(step.getAttribute("data-publishable-key"));
  var card = stripe.elements().create("card");
  card.mount(mount);
  var confirmed = false;
  form.addEventListener("submit", function (event) {
    var savedCard = form.querySelector("input[name=saved_card]:checked");
    if (confirmed || (savedCard && savedCard.value !== "new")) {
      return;
    }
    event.preventDefault();
    errors.textContent = "";
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    stripe.confirmCardSetup(secret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        errors.textContent = result.error.message || "Your card could not be saved.";
        button.disabled = false;
        return;
      }
      field.value = result.setupIntent.id;
      confirmed = true;
      form.submit();
    });
  });
})();
